/// Turns a policy's selectors into the site's addresses and hosts.
public struct AddressBook: Sendable {
    public let site: Site
    /// Which area owns each address (the most specific block wins).
    public let areas: [Area: IntervalSet]

    public init(site: Site) {
        self.site = site
        areas = site.addressMap()
    }

    public static let everyAddress = IntervalSet(IPv4.all)

    public func addresses(_ selector: AddressSelector) -> IntervalSet {
        switch selector {
        case .segment(let name): return areas[.segment(name)] ?? .empty
        case .zone(let name): return areas[.zone(name)] ?? .empty
        case .outside:
            return areas.filter { if case .zone = $0.key { return true } else { return false } }.values.reduce(IntervalSet.empty) { $0.union($1) }
        case .role, .host:
            return IntervalSet(hosts(selector).map { ValueRange($0.address, $0.address + 1) })
        case .any: return Self.everyAddress
        }
    }

    public func addresses(_ selectors: [AddressSelector]) -> IntervalSet {
        selectors.reduce(IntervalSet.empty) { $0.union(addresses($1)) }
    }

    /// The hosts a selector names: by role or name, or every host whose address lies in the area.
    public func hosts(_ selector: AddressSelector) -> [Host] {
        switch selector {
        case .role(let role): return site.hosts.filter { $0.role == role }
        case .host(let name): return site.hosts.filter { $0.name == name }
        default:
            let set = addresses(selector)
            return site.hosts.filter { set.contains($0.address) }
        }
    }

    public func hosts(_ selectors: [AddressSelector]) -> [Host] {
        var seen: Set<String> = []
        return selectors.flatMap { hosts($0) }.filter { seen.insert($0.name).inserted }
    }

    /// A selector that names something the site does not have (a zone, role or host), for a warning.
    public func unknownName(_ selector: AddressSelector) -> String? {
        switch selector {
        case .zone(let name) where site.zones[name] == nil: return "zone \(name)"
        case .role(let role) where !site.hosts.contains(where: { $0.role == role }): return "role \(role)"
        case .host(let name) where !site.hosts.contains(where: { $0.name == name }): return "host \(name)"
        default: return nil
        }
    }
}
