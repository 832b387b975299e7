@testable import Agent
import ExportCore
import Foundation
import Testing

@Suite("Broker source and Supervisor answers")
struct SupervisorTests {
    static let answers: [(String, SupervisorMQTTService?)] = [
        (#"{"result":"ok","data":{"host":"core-mosquitto","port":1883,"ssl":false,"username":"addons","password":"pw","protocol":"3.1.1","addon":"core_mosquitto"}}"#,
         SupervisorMQTTService(host: "core-mosquitto", port: 1883, ssl: false, username: "addons", password: "pw")),
        (#"{"result":"ok","data":{"host":"10.0.0.2","port":"8883","ssl":true,"username":"u","password":"p"}}"#,
         SupervisorMQTTService(host: "10.0.0.2", port: 8883, ssl: true, username: "u", password: "p")),
        (#"{"result":"ok","data":{"host":"h","port":1883}}"#,
         SupervisorMQTTService(host: "h", port: 1883, ssl: false, username: nil, password: nil)),
        (#"{"result":"error","message":"Service not available"}"#, nil),
        (#"{"result":"ok","data":{"port":1883}}"#, nil),
        (#"{"result":"ok","data":{"host":"h","port":"abc"}}"#, nil),
        (#"{"result":"ok","data":{"host":"h","port":70000}}"#, nil),
        ("<html>", nil),
    ]

    @Test("decodes the services/mqtt answer", arguments: answers)
    func decode(json: String, expected: SupervisorMQTTService?) {
        let result = Result { () throws(SupervisorError) in try SupervisorMQTTService.decode(Data(json.utf8)) }
        switch (result, expected) {
        case let (.success(service), .some(expected)): #expect(service == expected)
        case (.failure, .none): break
        default: Issue.record("\(json) → \(result)")
        }
    }

    @Test func serviceDescriptionHidesThePassword() {
        let s = SupervisorMQTTService(host: "h", port: 1, ssl: false, username: "u", password: "very-secret")
        #expect(!"\(s)".contains("very-secret"))
        #expect(!"\(BrokerAddress(s))".contains("very-secret"))
        #expect(!"\(BrokerAddress(s).configuration(topics: HATopics(), clientID: "x"))".contains("very-secret"))
    }

    static func options(host: String?) -> MQTTOptions {
        var o = MQTTOptions()
        o.host = host
        o.port = 1884
        o.user = "u"
        o.password = "p"
        return o
    }

    static let sources: [(String?, [String: String], String)] = [
        ("broker.lan", [:], "configured"),
        ("broker.lan", ["SUPERVISOR_TOKEN": "t"], "configured"),
        (nil, ["SUPERVISOR_TOKEN": "t"], "supervisor"),
        ("  ", ["SUPERVISOR_TOKEN": "t"], "supervisor"),
        (nil, [:], "disabled"),
        (nil, ["SUPERVISOR_TOKEN": ""], "disabled"),
    ]

    @Test("where the broker comes from", arguments: sources)
    func brokerSource(host: String?, environment: [String: String], expected: String) {
        switch BrokerSource.decide(Self.options(host: host), environment: environment) {
        case let .configured(address):
            #expect(expected == "configured")
            #expect(address == BrokerAddress(host: "broker.lan", port: 1884, username: "u", password: "p"))
        case let .supervisor(token):
            #expect(expected == "supervisor")
            #expect(token == "t")
        case let .disabled(reason):
            #expect(expected == "disabled")
            #expect(reason.contains("mqtt_host"))
        }
    }

    @Test func willIsOfflineRetainedOnTheAvailabilityTopic() {
        let c = BrokerAddress(host: "h", port: 1883).configuration(topics: HATopics(topicPrefix: "x"), clientID: "id")
        #expect(c.will?.topic == "x/availability")
        #expect(c.will?.payloadString == "offline")
        #expect(c.will?.retain == true)
        #expect(c.will?.qos == 1)
    }
}
