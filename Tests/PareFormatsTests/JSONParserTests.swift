import Testing
@testable import PareFormats

@Suite struct JSONParserTests {
    @Test(arguments: [
        (#"{"a":[1,-2,3.5e-1,true,false,null],"b":{}}"#, JSONValue.object([
            .init(key: "a", value: .array([.number("1"), .number("-2"), .number("3.5e-1"), .bool(true), .bool(false), .null])),
            .init(key: "b", value: .object([])),
        ])),
        (#" "\"\\\/\b\f\n\r\t\u0041\u00e9\ud83e\udd80" "#, .string("\"\\/\u{8}\u{c}\n\r\tAé🦀")),
        ("\"raw é 🦀\"", .string("raw é 🦀")),
        (#"{"k":1,"k":2}"#, .object([.init(key: "k", value: .number("1")), .init(key: "k", value: .number("2"))])),
        ("[ ]", .array([])),
        ("0", .number("0")),
        ("-0.0E+12", .number("-0.0E+12")),
    ] as [(String, JSONValue)])
    func parsesValidJSON(text: String, expected: JSONValue) throws {
        #expect(try JSONParser.parse(Array(text.utf8)) == expected)
    }

    @Test(arguments: [
        ("", 0), ("{", 1), ("[1,]", 3), (#"{"a" 1}"#, 5), ("01", 1), ("1.", 2), ("1e", 2), ("-", 1), ("+1", 0),
        ("tru", 0), ("nul", 0), (#""\x""#, 1), (#""\u12G4""#, 5), ("\"abc", 0), (#""\udc00""#, 1), ("{} {}", 3),
        ("'a'", 0), ("NaN", 0), ("[1 2]", 3),
    ])
    func rejectsInvalidJSON(text: String, offset: Int) throws {
        let failure = try #require(throws: JSONParser.Failure.self) { try JSONParser.parse(Array(text.utf8)) }
        #expect(failure.offset == offset, "\(failure.message)")
    }

    @Test func depthIsLimited() throws {
        let ok = String(repeating: "[", count: JSONParser.maxDepth) + String(repeating: "]", count: JSONParser.maxDepth)
        #expect(throws: Never.self) { try JSONParser.parse(Array(ok.utf8)) }
        let deep = String(repeating: "[", count: 100_000)
        let failure = try #require(throws: JSONParser.Failure.self) { try JSONParser.parse(Array(deep.utf8)) }
        #expect(failure.message.contains("nested deeper"))
    }

    @Test(arguments: [
        ([0x61, 0x62], nil), (Array("é🦀中".utf8), nil), ([0x61, 0x80], 1), ([0xC0, 0x80], 0), ([0xC2], 0),
        ([0xE0, 0x80, 0x80], 0), ([0xED, 0xA0, 0x80], 0), ([0xF4, 0x90, 0x80, 0x80], 0), ([0xF5, 0x80, 0x80, 0x80], 0),
        ([0x41, 0xE2, 0x82], 1), ([0xF0, 0x9F, 0xA6, 0x80, 0xFF], 4), ([0xE2, 0x28, 0xA1], 0),
    ] as [([UInt8], Int?)])
    func utf8Validation(bytes: [UInt8], firstBad: Int?) {
        #expect(bytes.withUnsafeBytes { JSONParser.firstInvalidUTF8Offset($0) } == firstBad)
        #expect((firstBad == nil) == (String(validating: bytes, as: UTF8.self) != nil))
    }

    @Test(arguments: [
        ("12", JSONValue.IntegerReading.value(12)), ("0", .value(0)), ("-0", .value(0)), ("-3", .negative),
        ("4.0", .notInteger), ("1e3", .notInteger), ("9223372036854775807", .value(Int.max)),
        ("9223372036854775808", .tooLarge), ("123456789012345678901234567890", .tooLarge),
    ])
    func integerReading(text: String, expected: JSONValue.IntegerReading) {
        #expect(JSONValue.number(text).nonNegativeInteger == expected)
        #expect(JSONValue.string(text).nonNegativeInteger == nil)
    }
}
