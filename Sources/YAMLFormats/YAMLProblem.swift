/// One thing wrong with a playbook file, located as `FILE:LINE:COLUMN`.
public struct YAMLProblem: Error, Sendable, Equatable, CustomStringConvertible {
    public let file: String
    public let line: Int
    public let column: Int
    public let message: String

    public init(file: String, line: Int, column: Int, message: String) {
        self.file = file
        self.line = line
        self.column = column
        self.message = message
    }

    public var description: String { "\(file):\(line):\(column): \(message)" }
}

/// Every problem found in one file (validation reports them all, not just the first).
public struct YAMLProblems: Error, Sendable, CustomStringConvertible {
    public let problems: [YAMLProblem]

    public init(problems: [YAMLProblem]) {
        self.problems = problems
    }

    public var description: String { problems.map(\.description).joined(separator: "\n") }
}
