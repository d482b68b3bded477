import Foundation

/// A small thread-safe memo for values that are expensive to rebuild and cheap to recognise:
/// parsed playbook catalogs (keyed by their files' names, sizes and modification times) and
/// decoded playbook snapshots (keyed by their SHA-256). A server reads them on every
/// request; a one-shot CLI command never notices. Bounded: when full it starts afresh.
final class Memo<Key: Hashable & Sendable, Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [Key: Value] = [:]
    private let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    func value(for key: Key, _ make: () throws -> Value) rethrows -> Value {
        if let known = lock.withLock({ values[key] }) { return known }
        let made = try make()
        lock.withLock {
            if values.count >= limit { values.removeAll(keepingCapacity: true) }
            values[key] = made
        }
        return made
    }
}
