import Foundation
import Segmentation
import YAMLFormats

/// Where segmentation policies are found: `CSIRT_POLICIES`, else `HOME/policies` (filled by
/// `csirt init`), else the `Policies/` folder of the source tree csirt was built from.
public enum PolicyCatalog {
    public static func defaultDirectory(home: CSIRTHome?, environment: [String: String] = ProcessInfo.processInfo.environment) -> String {
        if let explicit = environment["CSIRT_POLICIES"], !explicit.isEmpty { return explicit }
        if let home, FileManager.default.fileExists(atPath: home.root + "/policies") { return home.root + "/policies" }
        return shippedDirectory
    }

    static var shippedDirectory: String {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.appendingPathComponent("Policies").path
    }

    /// The policy a site's model picks by default.
    public static func defaultPath(for model: SeparationModel, directory: String) -> String {
        directory + "/three-layer-\(model.rawValue).yaml"
    }

    public static func load(path: String) throws(CSIRTError) -> (Policy, [UInt8]) {
        let bytes = try InputFile.read(path, limit: 1 << 20, what: "a policy")
        guard let text = String(validating: bytes, as: UTF8.self) else { throw CSIRTError(.input, "\(path): not UTF-8 text") }
        do {
            return (try PolicyDecoder.decode(text, file: path), bytes)
        } catch {
            throw CSIRTError(.input, YAMLProblems.summary(error))
        }
    }
}

extension YAMLProblems {
    /// The first problem, and how many more there are: one line for the user.
    static func summary(_ problems: YAMLProblems) -> String {
        let all = problems.problems.map(\.description)
        guard let first = all.first else { return "invalid YAML" }
        return all.count == 1 ? first : "\(first) (and \(all.count - 1) more problems)"
    }
}
