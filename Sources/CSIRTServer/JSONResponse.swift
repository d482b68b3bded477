import CanonicalJSON
import HTTPTypes
import Hummingbird

/// JSON responses, serialized the way the CLI prints JSON (compact, keys sorted).
enum JSONResponse {
    static func make(_ value: JSONValue, status: HTTPResponse.Status = .ok, contentType: String = "application/json",
                     headers: HTTPFields = [:]) -> Response {
        var bytes = CanonicalJSON.serialize(value)
        bytes.append(0x0a)
        return raw(bytes, status: status, contentType: contentType, headers: headers)
    }

    static func raw(_ bytes: some Collection<UInt8>, status: HTTPResponse.Status = .ok, contentType: String, headers: HTTPFields = [:]) -> Response {
        var fields = headers
        fields[.contentType] = contentType
        return Response(status: status, headers: fields, body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes)))
    }
}
