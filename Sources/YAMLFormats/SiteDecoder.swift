import Foundation
import Segmentation
import Yams

/// Reads a site description (`network.yaml`, see docs/segmentation.md). Keys csirt does not use
/// are allowed (sites keep their own notes there); the ones it uses are checked strictly.
public enum SiteDecoder {
    public static func decode(_ text: String, file: String) throws(YAMLProblems) -> Site {
        try NodeReader.read(text, file: file, expected: "a site description") { reader, root in reader.site(root) }
    }
}

extension NodeReader {
    /// The mapping's entries, keyed by name, allowing any key.
    mutating func entries(_ node: Node?, _ what: String) -> [(key: String, keyNode: Node, value: Node)] {
        guard let node else { return [] }
        guard case .mapping(let mapping) = node else {
            problem(node, "\(what) must be a mapping")
            return []
        }
        return mapping.compactMap { key, value in
            guard let name = key.scalar?.string else {
                problem(key, "keys of \(what) must be plain names")
                return nil
            }
            return (name, key, value)
        }
    }

    mutating func blocks(_ node: Node, _ what: String) -> [ValueRange] {
        let items: [Node]
        if case .sequence(let sequence) = node { items = Array(sequence) } else { items = [node] }
        var ranges: [ValueRange] = []
        for item in items {
            guard let text = string(item, what) else { continue }
            if text.contains(":") {
                problem(item, "\(what): \(text) is IPv6; csirt analyses IPv4 address blocks")
            } else if let range = IPv4.block(Substring(text)) {
                ranges.append(range)
            } else {
                problem(item, "\(what): \(text) is not an IPv4 address or block (a.b.c.d/len)")
            }
        }
        return ranges
    }

    mutating func site(_ root: Node) -> Site? {
        let top = entries(root, "the site description")
        var values: [String: Node] = [:]
        for entry in top { values[entry.key] = entry.value }
        for name in ["site", "model", "segments", "firewalls"] where values[name] == nil {
            problem(root, "the site description lacks \"\(name)\"")
        }
        let name = string(values["site"], "site")
        let model = values["model"].flatMap { enumeration($0, "model", SeparationModel.self) }

        var segments: [SegmentName: [ValueRange]] = [:]
        for entry in entries(values["segments"], "segments") {
            guard let segment = SegmentName(rawValue: entry.key) else {
                problem(entry.keyNode, "unknown segment \"\(entry.key)\" (mynumber, lgwan, internet; other networks go under zones)")
                continue
            }
            segments[segment] = blocks(entry.value, "segment \(entry.key)")
        }
        if values["segments"] != nil {
            for segment in SegmentName.allCases where segments[segment] == nil {
                problem(values["segments"], "segments lacks \(segment.rawValue)")
            }
        }
        var zones: [String: [ValueRange]] = [:]
        for entry in entries(values["zones"], "zones") {
            zones[entry.key] = blocks(entry.value, "zone \(entry.key)")
        }

        var hosts: [Segmentation.Host] = []
        var hostNames: Set<String> = []
        for item in sequence(values["hosts"], "hosts") ?? [] {
            var fields: [String: Node] = [:]
            for entry in entries(item, "a host") { fields[entry.key] = entry.value }
            guard let hostName = string(fields["name"], "host name") else {
                if fields["name"] == nil { problem(item, "a host lacks \"name\"") }
                continue
            }
            if !hostNames.insert(hostName).inserted { problem(fields["name"], "host \(hostName) is listed twice") }
            guard let addressNode = fields["address"], let addressText = string(addressNode, "address") else {
                problem(item, "host \(hostName) lacks \"address\"")
                continue
            }
            guard let address = IPv4.address(Substring(addressText)) else {
                problem(addressNode, "host \(hostName): \(addressText) is not an IPv4 address")
                continue
            }
            var services: [Service] = []
            for node in sequence(fields["services"], "services") ?? [] {
                guard let text = string(node, "service") else { continue }
                if let service = Service(text) { services.append(service) } else { problem(node, "service \(text) is not proto/port (e.g. tcp/443, udp/1000-2000)") }
            }
            var attributes: [String: String] = [:]
            for (key, value) in fields where !["name", "role", "address", "services"].contains(key) {
                if let scalar = value.scalar?.string { attributes[key] = scalar }
            }
            let mark = item.mark
            hosts.append(Segmentation.Host(name: hostName, role: fields["role"].flatMap { string($0, "role") }, address: address, services: services,
                              attributes: attributes, location: SourceLocation(file: file, line: mark?.line ?? 1)))
        }

        var firewalls: [FirewallReference] = []
        for item in sequence(values["firewalls"], "firewalls") ?? [] {
            var fields: [String: Node] = [:]
            for entry in entries(item, "a firewall") { fields[entry.key] = entry.value }
            for key in ["name", "format", "file", "interfaces"] where fields[key] == nil { problem(item, "a firewall lacks \"\(key)\"") }
            let firewallName = string(fields["name"], "firewall name")
            let format = fields["format"].flatMap { enumeration($0, "format", RulesetFormat.self) }
            let path = string(fields["file"], "file")
            var interfaces: [String: Area] = [:]
            for entry in entries(fields["interfaces"], "interfaces") {
                guard let areaName = string(entry.value, "interface \(entry.key)") else { continue }
                // `zone:internet` and `segment:internet` say which one where a bare name would be ambiguous.
                if areaName.hasPrefix("zone:"), zones[String(areaName.dropFirst(5))] != nil {
                    interfaces[entry.key] = .zone(String(areaName.dropFirst(5)))
                } else if let segment = SegmentName(rawValue: areaName.hasPrefix("segment:") ? String(areaName.dropFirst(8)) : areaName) {
                    interfaces[entry.key] = .segment(segment)
                } else if zones[areaName] != nil {
                    interfaces[entry.key] = .zone(areaName)
                } else {
                    problem(entry.value, "interface \(entry.key): \(areaName) is neither a segment nor a zone of this site")
                }
            }
            if let firewallName, let format, let path {
                firewalls.append(FirewallReference(name: firewallName, format: format, file: path, interfaces: interfaces,
                                                   location: SourceLocation(file: file, line: item.mark?.line ?? 1)))
            }
        }
        if values["firewalls"] != nil && firewalls.isEmpty && problems.isEmpty { problem(values["firewalls"], "firewalls lists no firewall") }
        guard let name, let model, segments.count == SegmentName.allCases.count else { return nil }
        return Site(name: name, model: model, segments: segments, zones: zones, hosts: hosts, firewalls: firewalls)
    }
}
