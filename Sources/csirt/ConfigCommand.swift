import ArgumentParser
import CSIRTApplication

struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config", abstract: "Show or change the home's settings.",
        discussion: """
            ppc.preliminary-days  days after awareness for the preliminary report to the PPC (速報); default 3
            legal.time-zone       the zone whose calendar days legal deadlines count; default Asia/Tokyo
            """,
        subcommands: [ShowConfig.self, SetConfig.self], defaultSubcommand: ShowConfig.self)

    struct ShowConfig: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "show", abstract: "Show every setting.")
        @OptionGroup var homeOptions: HomeOptions

        func run() throws {
            for (key, value, defaultValue) in try Application.open(home: homeOptions.resolvedHome).settings() {
                print("\(key.rawValue) = \(value ?? defaultValue)\(value == nil ? " (default)" : "")")
            }
        }
    }

    struct SetConfig: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set", abstract: "Change a setting (recorded in the audit log).")
        @OptionGroup var homeOptions: HomeOptions
        @OptionGroup var actorOptions: ActorOptions
        @Argument(help: ArgumentHelp("The setting.", valueName: "key")) var key: String
        @Argument(help: ArgumentHelp("Its new value.", valueName: "value")) var value: String

        func run() throws {
            try Application.open(home: homeOptions.resolvedHome).setSetting(key, to: value, actor: actorOptions.resolvedActor)
            print("\(key) = \(value)")
        }
    }
}
