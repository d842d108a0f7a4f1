package io.sniproxy.config;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Wrong types, unknown or missing keys and bad values: each one named, located and explained. */
class ShapeErrorsTest {

    private static final String LISTENER = """
            listeners:
              - name: https
                address: 127.0.0.1:8443
                protocol: tls
            """;

    // --- the document itself --------------------------------------------------------------------

    @Test
    void anEmptyFileIsRejected() {
        assertThat(Rejections.single("")).isEqualTo("test.yaml: file is empty; it needs at least 'listeners:'");
        assertThat(Rejections.single("# only a comment\n\n"))
                .isEqualTo("test.yaml: file is empty; it needs at least 'listeners:'");
    }

    @Test
    void theTopLevelMustBeAMapping() {
        assertThat(Rejections.single("- a\n- b\n"))
                .isEqualTo("test.yaml:1:1: the file must be a mapping with 'listeners:' and 'routes:', found a list");
        assertThat(Rejections.single("just text\n"))
                .isEqualTo("test.yaml:1:1: the file must be a mapping with 'listeners:' and 'routes:', found 'just text'");
    }

    @Test
    void listenersAreRequiredAndMayNotBeEmpty() {
        assertThat(Rejections.single("routes: []\n"))
                .isEqualTo("test.yaml:1:1: 'listeners' is missing; at least one is needed");
        assertThat(Rejections.single("listeners:\nroutes:\n"))
                .isEqualTo("test.yaml:1:1: 'listeners' is missing; at least one is needed");
        assertThat(Rejections.single("listeners: []\n"))
                .isEqualTo("test.yaml:1:12: listeners: is empty; at least one is needed");
    }

    @Test
    void aSecondDocumentIsRejected() {
        assertThat(Rejections.single(LISTENER + "---\nlisteners: []\n"))
                .isEqualTo("test.yaml:6:1: only one YAML document is allowed (remove the second '---')");
    }

    // --- unknown keys -----------------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            listner: []                     | 5:1 | unknown key 'listner'; did you mean 'listeners'?
            Routes: []                      | 5:1 | unknown key 'Routes'; did you mean 'routes'?
            timeouts: {idel: 5s}            | 5:12 | timeouts: unknown key 'idel'; did you mean 'idle'?
            limits: {max_connections: 5}    | 5:10 | limits: unknown key 'max_connections'; did you mean 'maxConnections'?
            security: {allowPrivate: true}  | 5:12 | security: unknown key 'allowPrivate'; did you mean 'allowPrivateBackends'?
            accessLog: {enable: true}       | 5:13 | accessLog: unknown key 'enable'; did you mean 'enabled'?
            connectionPool: {size: 10}      | 5:18 | connectionPool: unknown key 'size'; expected one of enabled
            tls: {cert: x}                  | 5:1 | unknown key 'tls'; expected one of accessLog, connectionPool, limits, listeners, routes, security, timeouts
            """)
    void anUnknownKeyIsAnErrorThatSuggestsTheKeyMeant(String line, String at, String message) {
        assertThat(Rejections.single(LISTENER + line + "\n")).isEqualTo("test.yaml:" + at + ": " + message);
    }

    @Test
    void unknownKeysInsideListenersAndRoutesNameTheElement() {
        assertThat(Rejections.of("""
                listeners:
                  - name: https
                    adress: 127.0.0.1:8443
                    protocol: tls
                routes:
                  - hostname: [a.example.com]
                    backend: 10.0.0.1
                    proxy_protocol: v1
                """)).containsExactly(
                "test.yaml:2:5: listeners[0]: 'address' is missing",
                "test.yaml:3:5: listeners[0]: unknown key 'adress'; did you mean 'address'?",
                "test.yaml:6:5: routes[0]: unknown key 'hostname'; did you mean 'hostnames'?",
                "test.yaml:6:5: routes[0]: 'hostnames' is missing",
                "test.yaml:8:5: routes[0]: unknown key 'proxy_protocol'; did you mean 'proxyProtocol'?");
    }

    @Test
    void aLongUnknownKeyIsCutShortInTheMessage() {
        String key = "k".repeat(1000);

        String error = Rejections.single(LISTENER + key + ": 1\n");

        assertThat(error).hasSizeLessThan(300).contains("...(1000 characters)");
    }

    @Test
    void aKeyLongerThanYamlAllowsIsASyntaxErrorThatDoesNotEchoIt() {
        String error = Rejections.single(LISTENER + "k".repeat(100_000) + ": 1\n");

        assertThat(error).hasSizeLessThan(300).startsWith("test.yaml:5:").contains("not valid YAML: could not find expected ':'");
    }

    // --- wrong types -------------------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            listeners: 5                     | 1:12 | listeners: must be a list, found '5'
            listeners: {name: a}             | 1:12 | listeners: must be a list, found a mapping
            listeners: [5]                   | 1:13 | listeners[0]: a listener must be a mapping with name, address and protocol
            listeners: [[]]                  | 1:13 | listeners[0]: a listener must be a mapping with name, address and protocol
            """)
    void listenersOfTheWrongShape(String text, String at, String message) {
        assertThat(Rejections.single(text + "\n")).isEqualTo("test.yaml:" + at + ": " + message);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            routes: a.example.com                            | 5:9  | routes: must be a list, found 'a.example.com'
            routes: [a.example.com]                          | 5:10 | routes[0]: a route must be a mapping with hostnames and backend
            'routes: [{hostnames: a.com, backend: 10.0.0.1}]' | 5:22 | routes[0].hostnames: must be a non-empty list of hostnames
            'routes: [{hostnames: [], backend: 10.0.0.1}]'   | 5:22 | routes[0].hostnames: must be a non-empty list of hostnames
            'routes: [{hostnames: [[a]], backend: 10.0.0.1}]' | 5:23 | routes[0].hostnames[0]: must be a text value, found a list
            'routes: [{hostnames: [a.com]}]'                 | 5:10 | routes[0]: 'backend' is missing (host:port, or "*" for transparent)
            'routes: [{hostnames: [a.com], backend: ~}]'     | 5:10 | routes[0]: 'backend' is missing (host:port, or "*" for transparent)
            'routes: [{hostnames: [a.com], backend: [x]}]'   | 5:40 | routes[0].backend: must be a text value, found a list
            'routes: [{hostnames: [a.com], backend: 10.0.0.1, protocols: tls}]'   | 5:61 | routes[0].protocols: must be a list such as [tls, quic]
            'routes: [{hostnames: [a.com], backend: 10.0.0.1, protocols: [auto]}]' | 5:62 | routes[0].protocols[0]: 'auto' is not one of tls, http, quic
            'routes: [{hostnames: [a.com], backend: 10.0.0.1, proxyProtocol: v3}]' | 5:65 | routes[0].proxyProtocol: 'v3' is not one of none, v1, v2
            'routes: [{hostnames: [a.com], backend: 10.0.0.1, proxyProtocol: 2}]'  | 5:65 | routes[0].proxyProtocol: '2' is not one of none, v1, v2
            'routes: [{hostnames: [a.com], backend: 10.0.0.1, proxyProtocol: V2}]' | 5:65 | routes[0].proxyProtocol: 'V2' is not one of none, v1, v2; did you mean 'v2'?
            'routes: [{hostnames: [a.com], backend: 10.0.0.1, protocols: [tsl]}]'  | 5:62 | routes[0].protocols[0]: 'tsl' is not one of tls, http, quic; did you mean 'tls'?
            """)
    void routesOfTheWrongShape(String text, String at, String message) {
        assertThat(Rejections.single(LISTENER + text + "\n")).isEqualTo("test.yaml:" + at + ": " + message);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            timeouts: 5s                          | 5:11 | timeouts: must be a mapping, found '5s'
            limits: [1]                           | 5:9  | limits: must be a mapping, found a list
            security: true                        | 5:11 | security: must be a mapping, found 'true'
            connectionPool: false                 | 5:17 | connectionPool: must be a mapping, found 'false'
            """)
    void sectionsMustBeMappings(String text, String at, String message) {
        assertThat(Rejections.single(LISTENER + text + "\n")).isEqualTo("test.yaml:" + at + ": " + message);
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            '{maxConnections: 0}'           | limits.maxConnections: must be a whole number from 1 to 10000000, found '0'
            '{maxConnections: 10000001}'    | limits.maxConnections: must be a whole number from 1 to 10000000, found '10000001'
            '{maxConnections: 1.5}'         | limits.maxConnections: must be a whole number from 1 to 10000000, found '1.5'
            '{maxConnections: 0x10}'        | limits.maxConnections: must be a whole number from 1 to 10000000, found '0x10'
            '{maxConnections: 1e3}'         | limits.maxConnections: must be a whole number from 1 to 10000000, found '1e3'
            '{maxConnections: "100"}'       | limits.maxConnections: must be a whole number from 1 to 10000000, found '100' (write it without quotes)
            '{maxConnections: lots}'        | limits.maxConnections: must be a whole number from 1 to 10000000, found 'lots'
            '{maxConnections: 99999999999999999999999}' | limits.maxConnections: must be a whole number from 1 to 10000000, found '99999999999999999999999'
            '{maxClientHelloBytes: 511}'    | limits.maxClientHelloBytes: must be a whole number from 512 to 1048576, found '511'
            '{maxClientHelloBytes: 1048577}' | limits.maxClientHelloBytes: must be a whole number from 512 to 1048576, found '1048577'
            '{maxUdpSessions: -5}'          | limits.maxUdpSessions: must be a whole number from 1 to 10000000, found '-5'
            """)
    void limitsAreWholeNumbersInRange(String limits, String message) {
        assertThat(Rejections.single(LISTENER + "limits: " + limits + "\n")).endsWith(": " + message);
    }

    @Test
    void limitsAtTheirBoundsAreAccepted() throws Exception {
        ProxyConfig c = ConfigReader.read("t", LISTENER
                + "limits: {maxConnections: 10000000, maxClientHelloBytes: 512, maxUdpSessions: 1}\n");

        assertThat(c.limits()).isEqualTo(new Limits(10_000_000, 512, 1));
    }

    @ParameterizedTest
    @ValueSource(strings = {"yes", "no", "on", "off", "y", "n", "1", "0", "'true'", "\"false\"", "[]"})
    void booleansAreOnlyTrueOrFalse(String value) {
        // YAML 1.1 read yes/no/on/off as booleans; YAML 1.2 does not. Guessing would let
        // "connectionPool: {enabled: on}" through as false, so anything else is an error.
        String error = Rejections.single(LISTENER + "security:\n  allowPrivateBackends: " + value + "\n");

        assertThat(error).startsWith("test.yaml:6:25: security.allowPrivateBackends: must be true or false, found ");
    }

    @Test
    void aQuotedBooleanIsToldToLoseItsQuotes() {
        assertThat(Rejections.single(LISTENER + "accessLog: {enabled: 'true'}\n"))
                .isEqualTo("test.yaml:5:22: accessLog.enabled: must be true or false, found 'true' (write it without quotes)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"true", "True", "TRUE"})
    void theCanonicalSpellingsOfTrueAreTrue(String value) throws Exception {
        ProxyConfig c = ConfigReader.read("t", LISTENER + "accessLog: {enabled: " + value + "}\n");

        assertThat(c.accessLog().enabled()).isTrue();
    }

    // --- listeners --------------------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            127.0.0.1          | listeners[0].address: '127.0.0.1' is not host:port (use [::]:443 for IPv6; port 1-65535)
            127.0.0.1:0        | listeners[0].address: '127.0.0.1:0' is not host:port (use [::]:443 for IPv6; port 1-65535)
            127.0.0.1:65536    | listeners[0].address: '127.0.0.1:65536' is not host:port (use [::]:443 for IPv6; port 1-65535)
            127.0.0.1:http     | listeners[0].address: '127.0.0.1:http' is not host:port (use [::]:443 for IPv6; port 1-65535)
            ':443'             | listeners[0].address: ':443' is not host:port (use [::]:443 for IPv6; port 1-65535)
            '::1:443'          | listeners[0].address: '::1:443' is not host:port (use [::]:443 for IPv6; port 1-65535)
            '[::1]'            | listeners[0].address: '[::1]' is not host:port (use [::]:443 for IPv6; port 1-65535)
            '[::1]443'         | listeners[0].address: '[::1]443' is not host:port (use [::]:443 for IPv6; port 1-65535)
            '[fe80::1%eth0]:443' | listeners[0].address: 'fe80::1%eth0' is not a valid IPv6 address
            '[::g]:443'        | listeners[0].address: '::g' is not a valid IPv6 address
            '[.::1]:443'       | listeners[0].address: '.::1' is not a valid IPv6 address
            '[1::2::3]:443'    | listeners[0].address: '1::2::3' is not a valid IPv6 address
            256.0.0.1:443      | listeners[0].address: '256.0.0.1' is not a valid IPv4 address (four numbers 0-255, no leading zeros)
            127.0.0.01:443     | listeners[0].address: '127.0.0.01' is not a valid IPv4 address (four numbers 0-255, no leading zeros)
            10.1:443           | listeners[0].address: '10.1' is not a valid IPv4 address (four numbers 0-255, no leading zeros)
            bad_host:443       | listeners[0].address: 'bad_host' is not a valid hostname: character '_' is not allowed (letters, digits, '-' and '.')
            """)
    void aListenerAddressIsHostAndPort(String address, String message) {
        String error = Rejections.single("listeners:\n  - name: x\n    address: '" + address + "'\n    protocol: tls\n");

        assertThat(error).isEqualTo("test.yaml:3:14: " + message);
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "has space", "slash/", "é", "xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx"})
    void aListenerNameIsAShortMetricLabel(String name) {
        String error = Rejections.single("listeners:\n  - name: '" + name + "'\n    address: 127.0.0.1:1\n    protocol: tls\n");

        assertThat(error).startsWith("test.yaml:2:11: listeners[0].name: ")
                .endsWith(" must be 1-64 letters, digits, '_', '.' or '-' (it is a metric label)");
    }

    @Test
    void aListenerProtocolIsOneOfFour() {
        assertThat(Rejections.single("listeners:\n  - name: x\n    address: 127.0.0.1:1\n    protocol: TLS\n"))
                .isEqualTo("test.yaml:4:15: listeners[0].protocol: 'TLS' is not one of tls, http, quic, auto; did you mean 'tls'?");
    }

    @Test
    void everyMissingListenerFieldIsNamed() {
        assertThat(Rejections.of("listeners:\n  - {}\n")).containsExactly(
                "test.yaml:2:5: listeners[0]: 'name' is missing",
                "test.yaml:2:5: listeners[0]: 'address' is missing",
                "test.yaml:2:5: listeners[0]: 'protocol' is missing");
    }

    @Test
    void aDefaultBackendCannotBeTransparent() {
        assertThat(Rejections.single(LISTENER + "    defaultBackend: '*'\n"))
                .isEqualTo("test.yaml:5:21: listeners[0].defaultBackend: cannot be \"*\": without a name there is "
                        + "nothing to resolve; give host:port");
    }

    @Test
    void aDefaultBackendIsCheckedLikeAnyBackend() {
        assertThat(Rejections.single(LISTENER + "    defaultBackend: 'ssh host:22'\n"))
                .isEqualTo("test.yaml:5:21: listeners[0].defaultBackend: 'ssh host' is not a valid hostname: "
                        + "character ' ' is not allowed (letters, digits, '-' and '.')");
    }

    // --- backends ---------------------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            10.0.0.1:99999    | '10.0.0.1:99999' is not host:port, host, [v6]:port or "*" (port 1-65535)
            10.0.0.1:         | '10.0.0.1:' is not host:port, host, [v6]:port or "*" (port 1-65535)
            'fd00::1:443'     | 'fd00::1:443' is not host:port, host, [v6]:port or "*" (port 1-65535)
            '**'              | '**' is not a valid hostname: character '*' is not allowed (letters, digits, '-' and '.')
            'http://a.com'    | 'http://a.com' is not host:port, host, [v6]:port or "*" (port 1-65535)
            '-a.com:443'      | '-a.com' is not a valid hostname: a label starts or ends with '-'
            '10'              | '10' is not a valid IPv4 address (four numbers 0-255, no leading zeros)
            """)
    void aBackendIsHostPortHostV6OrStar(String backend, String message) {
        String error = Rejections.single(LISTENER + "routes:\n  - hostnames: [a.com]\n    backend: '" + backend + "'\n");

        assertThat(error).isEqualTo("test.yaml:7:14: routes[0].backend: " + message);
    }

    // --- YAML that is refused before it is read ---------------------------------------------------

    @Test
    void syntaxErrorsSayWhereTheParserGaveUp() {
        assertThat(Rejections.single("listeners:\n  - name: [\n"))
                .startsWith("test.yaml:3:1: not valid YAML: expected the node content, but found '<stream end>'");
        assertThat(Rejections.single("listeners: [a, b\nroutes: []\n"))
                .startsWith("test.yaml:2:7: not valid YAML: expected ',' or ']', but got :")
                .contains("while parsing a flow sequence that starts at 1:12");
        assertThat(Rejections.single("a: b: c\n"))
                .isEqualTo("test.yaml:1:5: not valid YAML: mapping values are not allowed here");
        assertThat(Rejections.single("a: 'unclosed\n"))
                .startsWith("test.yaml:2:1: not valid YAML: found unexpected end of stream");
    }

    @Test
    void tabsForIndentationAreASyntaxErrorThatSaysSo() {
        assertThat(Rejections.single("listeners:\n\t- name: x\n"))
                .startsWith("test.yaml:2:1: not valid YAML: found character '\\t(TAB)' that cannot start any token")
                .contains("Do not use \\t(TAB) for indentation");
    }

    @Test
    void complexKeysAreRefused() {
        assertThat(Rejections.single("? [a, b]\n: c\n"))
                .isEqualTo("test.yaml:1:4: not valid YAML: a mapping key must be plain text, not a list or a mapping");
    }

    @Test
    void aDuplicateKeyIsAnErrorThatPointsAtBoth() {
        assertThat(Rejections.single(LISTENER + "timeouts:\n  idle: 5m\n  idle: 10m\n"))
                .isEqualTo("test.yaml:7:3: duplicate key 'idle' (first at line 6:3); each key may appear once");
        assertThat(Rejections.single(LISTENER + "listeners: []\n"))
                .isEqualTo("test.yaml:5:1: duplicate key 'listeners' (first at line 1:1); each key may appear once");
    }

    @Test
    void aDuplicateKeyInsideAListenerIsFound() {
        assertThat(Rejections.single("listeners:\n  - name: a\n    name: b\n    address: 127.0.0.1:1\n    protocol: tls\n"))
                .isEqualTo("test.yaml:3:5: duplicate key 'name' (first at line 2:5); each key may appear once");
    }

    @Test
    void aliasesAreRefusedWhereTheyAreUsed() {
        // Jackson's streaming parser would hand back the anchor's *name* as the value: refuse, never guess.
        String text = """
                listeners:
                  - name: a
                    address: &addr 127.0.0.1:1
                    protocol: tls
                  - name: b
                    address: *addr
                    protocol: http
                """;

        assertThat(Rejections.single(text))
                .isEqualTo("test.yaml:6:14: YAML aliases (*addr) are not supported; write the value out in full");
    }

    @Test
    void mergeKeysAreRefusedAsAliases() {
        assertThat(Rejections.single("""
                base: &base {allowPrivateBackends: true}
                security:
                  <<: *base
                """)).isEqualTo("test.yaml:3:7: YAML aliases (*base) are not supported; write the value out in full");
    }

    @Test
    void aBillionLaughsDocumentIsRefusedAtTheFirstAliasWithoutExpandingIt() {
        StringBuilder text = new StringBuilder("a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol, lol]\n");
        for (int i = 1; i < 10; i++) {
            String prev = "*a" + (i - 1);
            text.append("a").append(i).append(": &a").append(i).append(" [")
                    .append(String.join(", ", java.util.Collections.nCopies(10, prev))).append("]\n");
        }

        assertThat(Rejections.single(text.toString()))
                .isEqualTo("test.yaml:2:10: YAML aliases (*a0) are not supported; write the value out in full");
    }

    @Test
    void customTagsAndBinaryValuesAreRefused() {
        assertThat(Rejections.single(LISTENER + "routes: !custom []\n"))
                .isEqualTo("test.yaml:5:9: YAML tag '!custom' is not supported; remove it");
        assertThat(Rejections.single(LISTENER + "routes:\n  - hostnames: [a.com]\n    backend: !!binary aGVsbG8=\n"))
                .isEqualTo("test.yaml:7:14: binary values are not supported");
    }

    @Test
    void standardTagsAreAllowed() throws Exception {
        ProxyConfig c = ConfigReader.read("t", """
                listeners:
                  - name: !!str 443
                    address: !!str 127.0.0.1:443
                    protocol: tls
                limits:
                  maxConnections: !!int 10
                """);

        assertThat(c.listeners().get(0).name()).isEqualTo("443");
        assertThat(c.limits().maxConnections()).isEqualTo(10);
    }

    @Test
    void deepNestingIsRefusedWithAPosition() {
        String flow = "listeners: " + "[".repeat(10_000) + "]".repeat(10_000) + "\n";
        assertThat(Rejections.single(flow))
                .isEqualTo("test.yaml:1:43: nested deeper than 32 levels; a config file needs about 4");

        StringBuilder block = new StringBuilder("listeners:\n");
        for (int i = 1; i <= 40; i++) {
            block.append("  ".repeat(i)).append("k").append(i).append(":\n");
        }
        assertThat(Rejections.single(block.toString())).startsWith("test.yaml:").contains(": nested deeper than 32 levels");
    }

    @Test
    void nestingUpToTheLimitIsNotAnErrorOfItsOwn() {
        // 31 nested lists under the root: within the bound, so the only complaint is the shape.
        String text = "listeners: " + "[".repeat(31) + "]".repeat(31) + "\n";

        assertThat(Rejections.single(text))
                .isEqualTo("test.yaml:1:13: listeners[0]: a listener must be a mapping with name, address and protocol");
    }

    @Test
    void aHugeTextIsRefusedBeforeParsing() {
        String huge = LISTENER + "# " + "x".repeat(YamlTreeReader.MAX_DOCUMENT_CHARS) + "\n";

        assertThat(Rejections.single(huge)).startsWith("test.yaml: file is larger than 4194304 characters");
    }

    @Test
    void aDocumentWithTooManyValuesIsRefused() {
        // Just under the size cap, but more values than any real config: bounded before it is bound.
        StringBuilder text = new StringBuilder(LISTENER).append("routes: [");
        for (int i = 0; i < YamlTreeReader.MAX_NODES; i++) {
            text.append("1,");
        }
        text.append("1]\n");

        assertThat(Rejections.single(text.toString()))
                .startsWith("test.yaml:5:").endsWith(": more than 500000 values; a config file this large is refused");
    }

    @Test
    void aHostileValueIsNotEchoedInFull() {
        String error = Rejections.single(LISTENER + "timeouts: {idle: '" + "9".repeat(50_000) + "'}\n");

        assertThat(error).hasSizeLessThan(300).contains("...(50000 characters)");
    }

    @Test
    void controlCharactersInValuesAreEscapedInMessages() {
        String error = Rejections.single(LISTENER + "timeouts: {idle: \"5\\u0007s\"}\n");

        assertThat(error).contains("found '5\\u0007s'").doesNotContain("\u0007");
    }
}
