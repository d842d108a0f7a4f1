package io.sniproxy.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Rules across fields: connection pooling, self-loops, unique listeners and hostnames, valid route
 * names. Through the reader (with positions) and through {@link ConfigValidator} directly, as the
 * operator calls it on configs it builds itself.
 */
class CrossFieldRulesTest {

    // --- connectionPool ---------------------------------------------------------------------------

    @Test
    void enablingTheConnectionPoolIsRejectedWithTheReason() {
        String error = Rejections.single("""
                listeners:
                  - name: https
                    address: 127.0.0.1:8443
                    protocol: tls
                connectionPool:
                  enabled: true
                """);

        assertThat(error).startsWith("test.yaml:6:12: connectionPool.enabled: must stay false: a transparent proxy has "
                + "nothing to pool.")
                .contains("Every client connection needs its own backend connection")
                .contains("file descriptors")
                .endsWith("Remove the key or set it to false.");
    }

    @Test
    void aDisabledConnectionPoolIsFine() throws Exception {
        ProxyConfig c = ConfigReader.read("t", """
                listeners: [{name: a, address: "127.0.0.1:1", protocol: tls}]
                connectionPool: {enabled: false}
                """);

        assertThat(c.listeners()).hasSize(1);
    }

    // --- self-loops -------------------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            127.0.0.1:8443  | 127.0.0.1:8443
            127.0.0.1:8443  | 127.0.0.1
            127.0.0.1:8443  | localhost:8443
            127.0.0.1:8443  | LOCALHOST.:8443
            localhost:8443  | 127.0.0.1:8443
            localhost:8443  | '[::1]:8443'
            0.0.0.0:8443    | 127.0.0.1:8443
            0.0.0.0:8443    | 127.9.9.9:8443
            0.0.0.0:8443    | localhost
            0.0.0.0:8443    | 0.0.0.0:8443
            '[::]:8443'     | '[::1]:8443'
            '[::]:8443'     | 127.0.0.1:8443
            '[::1]:8443'    | '[0:0:0:0:0:0:0:1]:8443'
            127.0.0.1:8443  | '[::ffff:127.0.0.1]:8443'
            '[::]:8443'     | '[::0]:8443'
            example.com:8443 | EXAMPLE.com.:8443
            """)
    void aBackendThatIsTheProxysOwnListenerIsRefused(String listener, String backend) {
        String error = Rejections.single("listeners:\n  - name: self\n    address: '" + listener + "'\n    protocol: tls\n"
                + "routes:\n  - hostnames: [loop.example.com]\n    backend: '" + backend + "'\n");

        assertThat(error).startsWith("test.yaml:7:14: routes[0].backend: ")
                .contains(" is the proxy's own listener 'self'")
                .endsWith("; the proxy would connect to itself until it runs out of file descriptors");
    }

    @Test
    void aPortlessBackendThatLoopsThroughTheListenersPortSaysSo() {
        String error = Rejections.single("""
                listeners:
                  - name: https
                    address: 0.0.0.0:443
                    protocol: tls
                routes:
                  - hostnames: [a.example.com]
                    backend: 127.0.0.1
                """);

        assertThat(error).isEqualTo("test.yaml:7:14: routes[0].backend: 127.0.0.1 is the proxy's own listener 'https' "
                + "(the port is taken from listener 'https'); the proxy would connect to itself until it runs out of "
                + "file descriptors");
    }

    @Test
    void aBackendReachedFromOneListenerThatIsAnotherListenerIsALoopToo() {
        // http on :80 routes to :8443, which is the proxy's tls listener: a loop through two listeners.
        String error = Rejections.single("""
                listeners:
                  - name: web
                    address: 127.0.0.1:80
                    protocol: http
                  - name: https
                    address: 127.0.0.1:8443
                    protocol: tls
                routes:
                  - hostnames: [a.example.com]
                    backend: 127.0.0.1:8443
                    protocols: [http]
                """);

        assertThat(error).startsWith("test.yaml:10:14: routes[0].backend: 127.0.0.1:8443 is the proxy's own listener 'https'");
    }

    @Test
    void aDefaultBackendThatIsItsOwnListenerIsRefused() {
        String error = Rejections.single("""
                listeners:
                  - name: ssh
                    address: 127.0.0.1:2222
                    protocol: auto
                    defaultBackend: localhost
                """);

        assertThat(error).startsWith("test.yaml:5:21: listeners[0].defaultBackend: localhost is the proxy's own listener 'ssh' "
                + "(the port is taken from listener 'ssh')");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            127.0.0.1:8443  | 127.0.0.2:8443
            127.0.0.1:8443  | 127.0.0.1:8444
            127.0.0.1:8443  | '[::1]:8443'
            '[::1]:8443'    | 127.0.0.1:8443
            127.0.0.1:8443  | 10.0.0.1
            0.0.0.0:8443    | 10.0.0.1:8443
            0.0.0.0:8443    | example.com
            localhost:8443  | 127.0.0.2:8443
            """)
    void aBackendOnAnotherAddressOrPortIsNotALoop(String listener, String backend) throws Exception {
        ProxyConfig c = ConfigReader.read("t", "listeners:\n  - name: self\n    address: '" + listener
                + "'\n    protocol: tls\nroutes:\n  - hostnames: [a.example.com]\n    backend: '" + backend + "'\n");

        assertThat(c.routes()).hasSize(1);
    }

    @Test
    void aUdpListenerIsNotReachedByATcpBackendOnTheSamePort() throws Exception {
        // QUIC listens on UDP 443; a TLS route to 127.0.0.1:443 is a TCP connection, so no loop.
        ProxyConfig c = ConfigReader.read("t", """
                listeners:
                  - name: quic
                    address: 127.0.0.1:443
                    protocol: quic
                  - name: https
                    address: 127.0.0.1:8443
                    protocol: tls
                routes:
                  - hostnames: [a.example.com]
                    backend: 127.0.0.1:443
                    protocols: [tls]
                """);

        assertThat(c.routes()).hasSize(1);
    }

    @Test
    void aQuicRouteToTheQuicListenerIsALoop() {
        String error = Rejections.single("""
                listeners:
                  - name: quic
                    address: 0.0.0.0:443
                    protocol: quic
                routes:
                  - hostnames: [a.example.com]
                    backend: 127.0.0.1
                    protocols: [quic]
                """);

        assertThat(error).contains("routes[0].backend: 127.0.0.1 is the proxy's own listener 'quic'");
    }

    @Test
    void aRouteLimitedToAnotherProtocolDoesNotLoopThroughAListenerItNeverServes() throws Exception {
        // The route is for http only; the tls listener never uses it, so the port-less backend never
        // takes the tls listener's port.
        ProxyConfig c = ConfigReader.read("t", """
                listeners:
                  - name: https
                    address: 127.0.0.1:8443
                    protocol: tls
                routes:
                  - hostnames: [a.example.com]
                    backend: 127.0.0.1
                    protocols: [http]
                """);

        assertThat(c.routes()).hasSize(1);
    }

    @Test
    void transparentRoutesAreNotCheckedForLoopsAtLoadTime() throws Exception {
        // "*" dials the name the client asked for; the proxy refuses its own addresses at connect time.
        ProxyConfig c = ConfigReader.read("t", """
                listeners: [{name: https, address: "0.0.0.0:443", protocol: tls}]
                routes: [{hostnames: ["*.example.net"], backend: "*"}]
                """);

        assertThat(c.routes().get(0).backends()).containsExactly(Backend.TRANSPARENT);
    }

    // --- unique listeners -------------------------------------------------------------------------

    @Test
    void listenerNamesAreUnique() {
        assertThat(Rejections.single("""
                listeners:
                  - {name: a, address: "127.0.0.1:1", protocol: tls}
                  - {name: b, address: "127.0.0.1:2", protocol: tls}
                  - {name: a, address: "127.0.0.1:3", protocol: http}
                """)).isEqualTo("test.yaml:4:12: listeners[2].name: listener name 'a' is already used by listeners[0]");
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            127.0.0.1:443 | 127.0.0.1:443 | 127.0.0.1:443
            '[::1]:443'   | '[0:0:0:0:0:0:0:1]:443' | '[0:0:0:0:0:0:0:1]:443'
            '[::]:443'    | '[0::0]:443'  | '[0::0]:443'
            example.com:443 | EXAMPLE.COM:443 | EXAMPLE.COM:443
            """)
    void twoListenersOnOneSocketAreRefused(String first, String second, String shown) {
        // With SO_REUSEPORT both would bind and silently share the traffic.
        String error = Rejections.single("listeners:\n  - {name: a, address: '" + first + "', protocol: tls}\n"
                + "  - {name: b, address: '" + second + "', protocol: http}\n");

        assertThat(error).isEqualTo("test.yaml:3:24: listeners[1].address: " + shown
                + " is already bound by listeners[0] (tcp)");
    }

    @Test
    void tcpAndUdpListenersMayShareAnAddress() throws Exception {
        ProxyConfig c = ConfigReader.read("t", """
                listeners:
                  - {name: https, address: "0.0.0.0:443", protocol: tls}
                  - {name: quic, address: "0.0.0.0:443", protocol: quic}
                """);

        assertThat(c.listeners()).hasSize(2);
    }

    @Test
    void twoQuicListenersOnOneSocketAreRefused() {
        assertThat(Rejections.single("""
                listeners:
                  - {name: q1, address: "0.0.0.0:443", protocol: quic}
                  - {name: q2, address: "0.0.0.0:443", protocol: quic}
                """)).isEqualTo("test.yaml:3:25: listeners[1].address: 0.0.0.0:443 is already bound by listeners[0] (udp)");
    }

    // --- hostnames --------------------------------------------------------------------------------

    @ParameterizedTest
    @CsvSource(delimiter = '|', quoteCharacter = '"', textBlock = """
            ""                  | hostname is empty
            .                 | '.' is not a valid hostname: it is empty
            *                 | '*': a wildcard must be the whole leftmost label, as in '*.example.com'
            *.                | '*.': a wildcard must be the whole leftmost label, as in '*.example.com'
            *example.com      | '*example.com': a wildcard must be the whole leftmost label, as in '*.example.com'
            a.*.example.com   | 'a.*.example.com': a wildcard must be the whole leftmost label, as in '*.example.com'
            example.*         | 'example.*': a wildcard must be the whole leftmost label, as in '*.example.com'
            *.*.example.com   | '*.*.example.com' is not a valid wildcard hostname: character '*' is not allowed (letters, digits, '-' and '.')
            a..example.com    | 'a..example.com' is not a valid hostname: empty label
            .example.com      | '.example.com' is not a valid hostname: empty label
            example.com..     | 'example.com..' is not a valid hostname: empty label
            -a.example.com    | '-a.example.com' is not a valid hostname: a label starts or ends with '-'
            a-.example.com    | 'a-.example.com' is not a valid hostname: a label starts or ends with '-'
            under_score.com   | 'under_score.com' is not a valid hostname: character '_' is not allowed (letters, digits, '-' and '.')
            sp ace.com        | 'sp ace.com' is not a valid hostname: character ' ' is not allowed (letters, digits, '-' and '.')
            a.com:443         | 'a.com:443' is not a valid hostname: character ':' is not allowed (letters, digits, '-' and '.')
            bücher.de         | 'bücher.de' is not a valid hostname: character '\\u00fc' is not allowed (letters, digits, '-' and '.'); write internationalised names in their punycode form: 'xn--bcher-kva.de'
            *.bücher.de       | '*.bücher.de' is not a valid wildcard hostname: character '\\u00fc' is not allowed (letters, digits, '-' and '.'); write internationalised names in their punycode form: '*.xn--bcher-kva.de'
            """)
    void badRouteHostnamesAreExplained(String hostname, String message) {
        String error = Rejections.single("listeners: [{name: a, address: \"127.0.0.1:1\", protocol: tls}]\n"
                + "routes:\n  - hostnames: [\"" + hostname + "\"]\n    backend: 10.0.0.1\n");

        assertThat(error).isEqualTo("test.yaml:3:17: routes[0].hostnames[0]: " + message);
    }

    @Test
    void aLabelOfMoreThan63CharactersIsRefused() {
        String label = "a".repeat(64);

        assertThat(hostnameError(label + ".example.com"))
                .endsWith(" is not a valid hostname: label longer than 63 characters");
        assertThat(hostnameError("a".repeat(63) + ".example.com")).isNull();
    }

    @Test
    void aNameOfMoreThan253CharactersIsRefused() {
        String label = "a".repeat(63);
        String name253 = String.join(".", label, label, label, "a".repeat(61)); // 63*3 + 61 + 3 dots = 253

        assertThat(name253).hasSize(253);
        assertThat(hostnameError(name253)).isNull();
        assertThat(hostnameError(name253 + ".")).as("a trailing dot does not count").isNull();
        assertThat(hostnameError("b" + name253)).endsWith(" is not a valid hostname: longer than 253 characters");
    }

    @ParameterizedTest
    @ValueSource(strings = {"xn--bcher-kva.de", "*.xn--bcher-kva.de", "EXAMPLE.COM", "example.com.", "*.Example.Org.",
            "a", "localhost", "123.example.com", "a-b.c-d.example", "10.0.0.1"})
    void validRouteHostnames(String hostname) {
        assertThat(hostnameError(hostname)).isNull();
    }

    @Test
    void aNameClaimedByTwoRoutesForTheSameProtocolIsRefused() {
        assertThat(Rejections.of("""
                listeners: [{name: a, address: "127.0.0.1:1", protocol: tls}]
                routes:
                  - hostnames: [a.example.com, "*.example.com"]
                    backend: 10.0.0.1
                  - hostnames: [A.Example.COM.]
                    backend: 10.0.0.2
                  - hostnames: ["*.EXAMPLE.com"]
                    backend: 10.0.0.3
                    protocols: [tls]
                """)).containsExactly(
                "test.yaml:5:17: routes[1].hostnames[0]: 'A.Example.COM.' is already routed by routes[0] for the same "
                        + "protocols; a name may appear once per protocol",
                "test.yaml:7:17: routes[2].hostnames[0]: '*.EXAMPLE.com' is already routed by routes[0] for the same "
                        + "protocols; a name may appear once per protocol");
    }

    @Test
    void aNameMayBeRoutedOncePerProtocol() throws Exception {
        ProxyConfig c = ConfigReader.read("t", """
                listeners: [{name: a, address: "127.0.0.1:1", protocol: tls}]
                routes:
                  - {hostnames: [a.example.com], backend: "10.0.0.1", protocols: [tls, quic]}
                  - {hostnames: [a.example.com], backend: "10.0.0.2", protocols: [http]}
                """);

        assertThat(c.routes()).hasSize(2);
    }

    @Test
    void aNameListedTwiceInOneRouteIsRefused() {
        assertThat(Rejections.single("""
                listeners: [{name: a, address: "127.0.0.1:1", protocol: tls}]
                routes: [{hostnames: [a.example.com, A.EXAMPLE.COM], backend: "10.0.0.1"}]
                """)).isEqualTo("test.yaml:2:38: routes[0].hostnames[1]: 'A.EXAMPLE.COM' is listed twice in this route");
    }

    // --- the validator on its own (as the operator uses it) ---------------------------------------

    @Test
    void theValidatorReportsPathsForConfigsBuiltInCode() {
        Listener https = new Listener("https", HostPort.of("0.0.0.0", 443), Protocol.TLS, Optional.empty());
        Listener dup = new Listener("https", HostPort.of("0.0.0.0", 443), Protocol.HTTP,
                Optional.of(Backend.TRANSPARENT));
        Route loop = new Route(List.of("a.example.com", "bad_name"), new Backend.Static(
                new HostPort("127.0.0.1", OptionalInt.empty())), Set.of(), ProxyProtocol.NONE);
        ProxyConfig config = new ProxyConfig(List.of(https, dup), List.of(loop), Timeouts.DEFAULTS, Limits.DEFAULTS,
                Security.DEFAULTS, AccessLog.DEFAULTS);

        List<ConfigProblem> problems = ConfigValidator.validate(config);

        assertThat(problems).extracting(ConfigProblem::path).containsExactly(
                "listeners[1].name", "listeners[1].address", "listeners[1].defaultBackend",
                "routes[0].hostnames[1]", "routes[0].backend");
        assertThat(problems.get(3).toString()).isEqualTo("routes[0].hostnames[1]: 'bad_name' is not a valid hostname: "
                + "character '_' is not allowed (letters, digits, '-' and '.')");
    }

    @Test
    void theValidatorChecksEveryValueRuleTheReaderChecks() {
        // A config built in code never went through the reader: the validator alone must refuse what
        // the reader would, or the operator would render a file the proxy then rejects as a whole.
        Listener badName = new Listener("has space", HostPort.of("999.0.0.1", 443), Protocol.TLS,
                Optional.of(new Backend.Static(HostPort.of("bad_host", 22))));
        Route badBackend = new Route(List.of("a.example.com"), new Backend.Static(HostPort.of("10.1", 443)), Set.of(),
                ProxyProtocol.NONE);
        Route noNames = new Route(List.of(), Backend.TRANSPARENT, Set.of(), ProxyProtocol.NONE);
        Timeouts timeouts = new Timeouts(java.time.Duration.ZERO, java.time.Duration.ofNanos(1_500_000),
                java.time.Duration.ofDays(8), java.time.Duration.ofSeconds(-1), java.time.Duration.ofSeconds(30));
        ProxyConfig config = new ProxyConfig(List.of(badName), List.of(badBackend, noNames), timeouts,
                new Limits(0, 511, 10_000_001), Security.DEFAULTS, AccessLog.DEFAULTS);

        assertThat(ConfigValidator.validate(config)).extracting(ConfigProblem::toString).containsExactly(
                "listeners[0].name: 'has space' must be 1-64 letters, digits, '_', '.' or '-' (it is a metric label)",
                "listeners[0].address: '999.0.0.1' is not a valid IPv4 address (four numbers 0-255, no leading zeros)",
                "listeners[0].defaultBackend: 'bad_host' is not a valid hostname: character '_' is not allowed "
                        + "(letters, digits, '-' and '.')",
                "routes[0].backend: '10.1' is not a valid IPv4 address (four numbers 0-255, no leading zeros)",
                "routes[1].hostnames: must be a non-empty list of hostnames",
                "timeouts.clientHello: must be a positive duration such as 500ms, 10s, 1m30s or PT10S, found PT0S",
                "timeouts.connect: must be a whole number of milliseconds, found PT0.0015S",
                "timeouts.idle: must be at most 7d, found PT192H",
                "timeouts.udpSession: must be a positive duration such as 500ms, 10s, 1m30s or PT10S, found PT-1S",
                "limits.maxConnections: must be a whole number from 1 to 10000000, found 0",
                "limits.maxClientHelloBytes: must be a whole number from 512 to 1048576, found 511",
                "limits.maxUdpSessions: must be a whole number from 1 to 10000000, found 10000001");
    }

    @Test
    void aValidConfigHasNoProblems() throws Exception {
        ProxyConfig c = ConfigReader.read(ConfigReaderTest.resource("every-field.yaml"));

        assertThat(ConfigValidator.validate(c)).isEmpty();
    }

    @Test
    void aProblemWithoutAPathIsJustItsMessage() {
        assertThat(new ConfigProblem("", "whole file").toString()).isEqualTo("whole file");
        assertThat(new ConfigProblem("routes[0]", "bad").toString()).isEqualTo("routes[0]: bad");
    }

    /** The error for one route hostname, or null when the file is accepted. */
    private static String hostnameError(String hostname) {
        String text = "listeners: [{name: a, address: \"127.0.0.1:1\", protocol: tls}]\n"
                + "routes:\n  - hostnames: [\"" + hostname + "\"]\n    backend: 10.0.0.1\n";
        try {
            ConfigReader.read("t", text);
            return null;
        } catch (ConfigException e) {
            assertThat(e.errors()).hasSize(1);
            return e.errors().get(0).toString();
        }
    }
}
