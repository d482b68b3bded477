import CSIRTApplication
import Foundation
import Hummingbird
import Logging

/// The request context: Hummingbird's core storage plus who is calling, which the route sets
/// once the token is checked and the request-log middleware reads when the response is out.
public struct APIContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    let caller: CallerBox

    public init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        caller = CallerBox()
    }
}

/// Shared between the middleware and the route (contexts are values; this is the one reference).
final class CallerBox: @unchecked Sendable {
    // One request's tasks touch it one after another (route, then middleware); the lock is for form.
    private let lock = NSLock()
    private var _token: APITokenInfo?

    var token: APITokenInfo? {
        get { lock.withLock { _token } }
        set { lock.withLock { _token = newValue } }
    }
}
