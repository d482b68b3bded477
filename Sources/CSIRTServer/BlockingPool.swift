import Foundation

/// Threads for the application layer's blocking work (SQLite, the audit log's flock and fsync,
/// OpenSSL), so that it never occupies Swift's cooperative threads (two on a 2-core machine).
/// A fixed, generous number of plain threads: a write waiting for its group commit holds one
/// thread and nothing else, and GCD's global pool grows too slowly for many such waits at once.
final class BlockingPool: @unchecked Sendable {
    static let shared = BlockingPool(threads: 32)

    private let condition = NSCondition()
    private var queue: [() -> Void] = []
    private var head = 0

    init(threads: Int) {
        for index in 0..<threads {
            let thread = Thread { [self] in loop() }
            thread.name = "csirt-blocking-\(index)"
            thread.start()
        }
    }

    func submit(_ work: @escaping () -> Void) {
        condition.lock()
        queue.append(work)
        condition.signal()
        condition.unlock()
    }

    private func loop() {
        while true {
            condition.lock()
            while head == queue.count { condition.wait() }
            let work = queue[head]
            head += 1
            if head == queue.count {
                queue.removeAll(keepingCapacity: true)
                head = 0
            }
            condition.unlock()
            work()
        }
    }
}

/// At most `limit` heavy jobs at once (segmentation checks, log verification, YAML uploads);
/// beyond that the API answers 503 with Retry-After instead of queueing without bound.
final class HeavyWorkLimit: @unchecked Sendable {
    private let lock = NSLock()
    private var running = 0
    let limit: Int

    init(limit: Int) {
        self.limit = limit
    }

    func enter() -> Bool {
        lock.withLock {
            guard running < limit else { return false }
            running += 1
            return true
        }
    }

    func leave() {
        lock.withLock { running -= 1 }
    }
}
