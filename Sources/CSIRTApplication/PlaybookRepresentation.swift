import CanonicalJSON
import Incidents

/// Playbooks as JSON: one representation for `csirt playbook list|show --format json` and the API.
public enum PlaybookRepresentation {
    public static func summary(_ playbook: Playbook) -> JSONValue {
        ["id": .string(playbook.id), "version": .integer(Int64(playbook.version)), "title_ja": .string(playbook.title.ja),
         "title_en": .string(playbook.title.en), "categories": .array(playbook.categories.map { .string($0.rawValue) }),
         "steps": .integer(Int64(playbook.steps.count)), "notifications": .integer(Int64(playbook.notifications.count))]
    }

    public static func json(_ playbook: Playbook) -> JSONValue {
        ["id": .string(playbook.id), "version": .integer(Int64(playbook.version)), "title_ja": .string(playbook.title.ja),
         "title_en": .string(playbook.title.en), "categories": .array(playbook.categories.map { .string($0.rawValue) }),
         "references": .array(playbook.references.map { .string($0) }),
         "steps": .array(playbook.steps.map { phase, step in
             ["phase": .string(phase.rawValue), "id": .string(step.id), "title_ja": .string(step.title.ja), "title_en": .string(step.title.en),
              "do_ja": .string(step.instructions.ja), "do_en": .string(step.instructions.en), "role": .string(step.role.rawValue),
              "required": .bool(step.required), "evidence": .bool(step.evidenceRequired),
              "due": step.due.map { .string($0.text) } ?? .null, "from": .string(step.from.rawValue)]
         }),
         "notifications": .array(playbook.notifications.map {
             ["id": .string($0.id), "to": .string($0.to.rawValue), "title_ja": .string($0.title.ja), "title_en": .string($0.title.en),
              "due": .string($0.due.text)]
         })]
    }
}
