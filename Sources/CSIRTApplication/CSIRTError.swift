import AuditLog
import CSIRTCrypto
import GRDB

/// An error as the user sees it: one line, and the exit code that goes with it.
/// Exit codes everywhere in csirt: 0 ok, 1 the thing checked failed, 2 usage or input error.
public struct CSIRTError: Error, CustomStringConvertible, Sendable, Equatable {
    public enum Kind: Sendable, Equatable {
        /// Bad input, illegal requests, environment problems: exit 2 (HTTP 422).
        case input
        /// An id that names nothing: exit 2 (HTTP 404).
        case notFound
        /// A request the current state does not allow (an illegal transition): exit 2 (HTTP 409).
        case conflict
        /// The change was based on a version that is no longer current: exit 2 (HTTP 412).
        case stale
        /// The store or the environment failed (disk full, database locked too long): exit 2
        /// (HTTP 503; the request may be retried).
        case unavailable
        /// What was checked failed (an audit log that does not verify): exit 1.
        case failed
    }

    public let kind: Kind
    public let message: String

    public init(_ kind: Kind = .input, _ message: String) {
        self.kind = kind
        self.message = message
    }

    public var exitCode: Int32 { kind == .failed ? 1 : 2 }
    public var description: String { message }

    /// Wraps any error from a lower layer as an input error with its own message.
    static func wrap(_ error: any Error) -> CSIRTError {
        switch error {
        case let error as CSIRTError: return error
        case let error as AuditLogError: return CSIRTError(error.isIntegrityFailure ? .failed : .input, error.message)
        case let error as CryptoError: return CSIRTError(.input, error.message)
        case let error as IntegrityFailure: return CSIRTError(.failed, error.description)
        case let error as DatabaseError:
            return CSIRTError(.unavailable, "the database failed: \(error.message ?? error.description)")
        default: return CSIRTError(.input, String(describing: error))
        }
    }
}

/// Runs `body`, turning any error into a `CSIRTError`.
func mapErrors<T>(_ body: () throws -> T) throws(CSIRTError) -> T {
    do {
        return try body()
    } catch {
        throw CSIRTError.wrap(error)
    }
}
