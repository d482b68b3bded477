/// Personal data involved in an incident (none when the incident has no such value).
public struct PersonalData: Sendable, Equatable, Codable {
    /// Number of people affected (or possibly affected).
    public var people: Int
    /// Kinds of data, e.g. "name", "address", "tax", "my-number".
    public var kinds: [String]
    /// Special-care-required personal information (要配慮個人情報).
    public var specialCare: Bool
    /// Data that could be used for financial harm (財産的被害), e.g. bank account details.
    public var financialHarm: Bool
    /// Leak done for a wrongful purpose (不正の目的): intrusion, insider theft. Nil: presumed from the category.
    public var wrongfulPurpose: Bool?
    /// Protected by strong encryption (高度な暗号化): exempt from reporting.
    public var encrypted: Bool

    public init(people: Int, kinds: [String] = [], specialCare: Bool = false, financialHarm: Bool = false,
                wrongfulPurpose: Bool? = nil, encrypted: Bool = false) {
        self.people = people
        self.kinds = kinds
        self.specialCare = specialCare
        self.financialHarm = financialHarm
        self.wrongfulPurpose = wrongfulPurpose
        self.encrypted = encrypted
    }
}
