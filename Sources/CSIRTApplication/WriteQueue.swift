import AuditLog
import CanonicalJSON
import CSIRTCrypto
import CSIRTStore
import Foundation
import GRDB

/// Group commit. Changes that arrive while another is being written wait, then go together: one
/// database transaction (each change in its own savepoint, so one that fails leaves the others),
/// one audit-log append of all their entries sealed by one checkpoint, one commit, one pair of
/// fsyncs. Each change still writes exactly one audit entry; a lone change (every CLI command)
/// is a batch of one, as before. Many API clients writing at once then cost little more than one.
///
/// One writer thread writes the batches, one after the other, while the submitters wait. It
/// starts with the first change and ends after a second without any, so that an idle process
/// (or each of a test's many applications) keeps no thread. Handing the writing over from one
/// submitter's thread to the next, as an earlier version did, left the database idle for a
/// thread wake-up between batches: a sixth of the time under load.
final class WriteQueue: @unchecked Sendable {
    /// One change waiting to be written. `work` makes the change and returns its audit entry.
    final class Job {
        /// Dropped once the batch is written: it captures the submitter's non-escaping closure
        /// (`withoutActuallyEscaping`), which must not outlive the submitter's call.
        var work: ((Database) throws -> AuditEntryDraft)?
        let extraSigners: [PrivateKey]
        var result: Result<AppendReceipt, CSIRTError>?
        let wake = DispatchSemaphore(value: 0)

        init(work: @escaping (Database) throws -> AuditEntryDraft, extraSigners: [PrivateKey]) {
            self.work = work
            self.extraSigners = extraSigners
        }
    }

    private let condition = NSCondition()
    private var pending: [Job] = []
    private var writerRunning = false
    static let idleTimeout: TimeInterval = 1

    /// Whether a writer thread exists now, and how many changes wait for it (tests).
    var isWriterRunning: Bool { condition.withLock { writerRunning } }
    var waitingCount: Int { condition.withLock { pending.count } }

    /// Runs `job` (with whatever else is waiting) and returns once it is written or has failed.
    /// `write` writes one batch; every job ends it with a result.
    func run(_ job: Job, write: @escaping @Sendable ([Job]) -> Void) {
        condition.lock()
        pending.append(job)
        if writerRunning {
            condition.signal()
        } else {
            writerRunning = true
            let thread = Thread { [self] in writeUntilIdle(write) }
            thread.name = "csirt-writer"
            thread.start()
        }
        condition.unlock()
        job.wake.wait()
    }

    private func writeUntilIdle(_ write: ([Job]) -> Void) {
        condition.lock()
        while true {
            guard !pending.isEmpty else {
                if !condition.wait(until: Date(timeIntervalSinceNow: Self.idleTimeout)) && pending.isEmpty {
                    writerRunning = false
                    condition.unlock()
                    return
                }
                continue
            }
            // A key rotation is sealed by two keys: it goes alone, and nothing joins it.
            let count = pending[0].extraSigners.isEmpty ? (pending.firstIndex { !$0.extraSigners.isEmpty } ?? pending.count) : 1
            let batch = Array(pending.prefix(count))
            pending.removeFirst(count)
            condition.unlock()

            write(batch)
            for member in batch {
                member.work = nil
                member.wake.signal()
            }
            condition.lock()
        }
    }
}

extension Application {
    /// Writes a batch: see `WriteQueue`. Every job ends with a result.
    func write(_ batch: [WriteQueue.Job]) {
        var accepted: [WriteQueue.Job] = []
        var retiredPrivateKey: String? = nil
        do {
            let receipt: AppendReceipt? = try database.write { db in
                guard let active = try SigningKeyRecord.active(db) else {
                    throw CSIRTError(.input, "\(home.root): no active signing key; run `csirt init`")
                }
                var entries: [AuditEntryDraft] = []
                for job in batch {
                    do {
                        try db.inSavepoint {
                            guard let work = job.work else { throw CSIRTError(.input, "internal error: a change was run twice") }
                            entries.append(try work(db))
                            return .commit
                        }
                        accepted.append(job)
                    } catch {
                        job.result = .failure(CSIRTError.wrap(error))
                    }
                }
                guard !entries.isEmpty else { return nil }
                // A job's failure may have made SQLite roll the whole transaction back (a full
                // disk): then the accepted jobs' rows are gone too, and their entries must not
                // reach the log.
                guard db.isInsideTransaction else {
                    throw DatabaseError(resultCode: .SQLITE_ABORT, message: "the transaction was rolled back by SQLite")
                }
                let position = try Self.auditPosition(db)
                let time = RFC3339.format(clock())
                let keyStore = self.keyStore
                let append = { (signer: PrivateKey, retired: [PublicKey]) throws -> AppendReceipt in
                    try self.auditLog.append(entries, signers: [signer] + batch[0].extraSigners, time: time, expecting: position,
                                             previouslyActive: retired, trustedKeys: { try keyStore.publicKeys() })
                }
                let receipt: AppendReceipt
                let signer = try keyStore.activePrivateKey(keyID: active.keyID)
                do {
                    receipt = try append(signer, [])
                } catch let retired as RetiredSignerError {
                    // A rotation reached the log, sealed, but not the database (csirt stopped between
                    // the two). It stands — a retired key signs nothing again — so record it now and
                    // sign with the key it named.
                    guard batch[0].extraSigners.isEmpty else {
                        throw CSIRTError(.input, "\(retired); run another csirt change first (e.g. `csirt audit note`), which records it, then rotate again")
                    }
                    receipt = try append(try completeRotation(retired, db), [signer.publicKey])
                    retiredPrivateKey = retired.retiredKeyID
                }
                try Self.recordAuditPosition(receipt.position, db)
                return receipt
            }
            // Only after the commit: a retired private key must not linger.
            if let retiredPrivateKey { keyStore.removePrivateKey(keyID: retiredPrivateKey) }
            if let receipt { for job in accepted { job.result = .success(receipt) } }
        } catch {
            // The transaction rolled back: nothing of the batch was written.
            let failure = CSIRTError.wrap(error)
            for job in accepted { job.result = .failure(failure) }
            for job in batch where job.result == nil { job.result = .failure(failure) }
        }
    }
}

extension Application {
    /// Brings the database in line with a rotation the log holds but the database does not: the
    /// retired key's record is marked retired and the new key (whose files the interrupted
    /// rotation had already written to `keys/`) becomes the active one. Returns the new key.
    func completeRotation(_ rotation: RetiredSignerError, _ db: Database) throws -> PrivateKey {
        guard var old = try SigningKeyRecord.fetchOne(db, key: rotation.retiredKeyID), old.status == .active else {
            throw CSIRTError(.failed, "\(rotation), and key \(rotation.retiredKeyID.prefix(16))… is not this home's active key; run `csirt audit verify`")
        }
        let newKey: PrivateKey
        do {
            newKey = try keyStore.activePrivateKey(keyID: rotation.newKeyID)
        } catch {
            throw CSIRTError(.failed, "\(rotation), and the new key's file is missing (\(error.message)); restore \(home.privateKeyPath(keyID: rotation.newKeyID)) from a backup")
        }
        let now = RFC3339.format(clock())
        old.status = .retired
        old.retiredAt = now
        try old.update(db)
        if try SigningKeyRecord.fetchOne(db, key: rotation.newKeyID) == nil {
            try SigningKeyRecord(keyID: newKey.publicKey.keyID, algorithm: newKey.algorithm.rawValue, publicKeyPEM: newKey.publicKey.pem,
                                 status: .active, createdAt: now).insert(db)
        }
        return newKey
    }
}
