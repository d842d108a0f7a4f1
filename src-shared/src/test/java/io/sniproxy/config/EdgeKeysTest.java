package io.sniproxy.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The keys that came with the edge features: several backends with balance and health checks,
 * PROXY protocol in from trusted balancers, ALPN on routes, per-client limits. Read from the file
 * (every error at once, with its position) and checked on configs built in code.
 */
class EdgeKeysTest {

    private static final String LISTENER = "listeners: [{name: https, address: \"127.0.0.1:8443\", protocol: tls}]\n";

    @Test
    void theDesignExampleReadsAsWritten() throws Exception {
        ProxyConfig c = ConfigReader.read(ConfigReaderTest.resource("design-edge-example.yaml"));

        Listener lb = c.listeners().get(0);
        assertThat(lb.acceptProxyProtocol()).isEqualTo(AcceptProxyProtocol.V2);
        assertThat(lb.trustedProxies()).extracting(Cidr::toString).containsExactly("10.0.0.0/8");
        Route api = c.routes().get(0);
        assertThat(api.backends()).containsExactly(staticBackend("10.0.0.5", 8443), staticBackend("10.0.0.6", 8443));
        assertThat(api.balance()).isEqualTo(Balance.ROUNDROBIN);
        assertThat(api.healthCheck()).contains(new HealthCheck(Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 3));
        assertThat(api.alpn()).isEmpty();
        Route acme = c.routes().get(1);
        assertThat(acme.alpn()).containsExactly("acme-tls/1");
        assertThat(acme.backends()).containsExactly(staticBackend("10.0.0.9", 443));
        assertThat(c.limits().perClient()).contains(
                new PerClientLimits(OptionalInt.of(100), OptionalInt.of(50), OptionalInt.of(100), 64));
        assertThat(c.limits().maxConnections()).isEqualTo(Limits.DEFAULTS.maxConnections());
    }

    @Test
    void absentEdgeKeysMeanTheirDefaults() throws Exception {
        ProxyConfig c = ConfigReader.read("t", LISTENER + "routes: [{hostnames: [a.example.com], backend: 10.0.0.1:443}]\n"
                + "limits: {perClient: {maxConnections: 10}}\n");

        assertThat(c.listeners().get(0).acceptProxyProtocol()).isEqualTo(AcceptProxyProtocol.NONE);
        assertThat(c.listeners().get(0).trustedProxies()).isEmpty();
        Route r = c.routes().get(0);
        assertThat(r.backends()).hasSize(1);
        assertThat(r.balance()).isEqualTo(Balance.ROUNDROBIN);
        assertThat(r.healthCheck()).isEmpty();
        assertThat(r.alpn()).isEmpty();
        PerClientLimits p = c.limits().perClient().orElseThrow();
        assertThat(p.maxConnections()).hasValue(10);
        assertThat(p.newConnectionsPerSecond()).isEmpty();
        assertThat(p.ipv6Prefix()).isEqualTo(64);
        assertThat(ConfigReader.read("t", LISTENER).limits().perClient()).as("off by default").isEmpty();
    }

    @Test
    void aHealthCheckGivesDefaultsForWhatItLeavesOut() throws Exception {
        ProxyConfig c = ConfigReader.read("t", LISTENER
                + "routes: [{hostnames: [a.example.com], backends: [10.0.0.1, 10.0.0.2], healthCheck: {fall: 5}}]\n");

        assertThat(c.routes().get(0).healthCheck()).contains(new HealthCheck(Duration.ofSeconds(2), Duration.ofSeconds(1), 2, 5));
    }

    @Test
    void aRateWithoutBurstHasABucketOfOneSecond() {
        PerClientLimits p = new PerClientLimits(OptionalInt.empty(), OptionalInt.of(50), OptionalInt.empty(), 64);

        assertThat(p.bucketSize()).hasValue(50);
    }

    @Test
    void everyMalformedNewValueIsReportedAtOnceWithItsPosition() {
        List<String> errors = Rejections.of("""
                listeners:
                  - name: lb
                    address: 0.0.0.0:443
                    protocol: tls
                    acceptProxyProtocol: v3
                    trustedProxies: [10.0.0.1/8, 300.0.0.0/8, "fd00::/200", example.com/8]
                routes:
                  - hostnames: [a.example.com]
                    backend: 10.0.0.1
                    backends: [10.0.0.2]
                  - hostnames: [b.example.com]
                    backends: [10.0.0.5:8443]
                    balance: random
                  - hostnames: [c.example.com]
                    backends: []
                  - hostnames: [d.example.com]
                    backends: [10.0.0.7, 10.0.0.8]
                    healthCheck: {interval: 1s, timeout: 2, rise: 0, every: 3}
                    alpn: ["h 2", ""]
                  - hostnames: [e.example.com]
                    backend: 10.0.0.9
                    healthCheck: 5s
                    alpn: h2
                limits:
                  perClient: {burst: "10", ipv6Prefix: 129}
                """);

        assertThat(errors).containsExactly(
                "test.yaml:5:26: listeners[0].acceptProxyProtocol: 'v3' is not one of none, v1, v2, any",
                "test.yaml:6:22: listeners[0].trustedProxies[0]: '10.0.0.1/8' has host bits set; the block is "
                        + "10.0.0.0/8 (or write 10.0.0.1 alone for just that address)",
                "test.yaml:6:34: listeners[0].trustedProxies[1]: '300.0.0.0/8' is not an address block: '300.0.0.0' is "
                        + "not an IP address (write a block such as 10.0.0.0/8, fd00::/8, or one address such as 192.168.1.7)",
                "test.yaml:6:47: listeners[0].trustedProxies[2]: 'fd00::/200' is not an address block: the prefix "
                        + "length must be 0-128",
                "test.yaml:6:61: listeners[0].trustedProxies[3]: 'example.com/8' is not an address block: 'example.com' "
                        + "is not an IP address (write a block such as 10.0.0.0/8, fd00::/8, or one address such as 192.168.1.7)",
                "test.yaml:10:15: routes[0].backends: 'backend' and 'backends' are both given; 'backend: X' is the "
                        + "one-element form of 'backends: [X]', keep one of them",
                "test.yaml:13:14: routes[1].balance: 'random' is not one of roundrobin, leastconn, source",
                "test.yaml:15:15: routes[2].backends: must be a non-empty list such as [10.0.0.5:8443, 10.0.0.6:8443]",
                "test.yaml:18:42: routes[3].healthCheck.timeout: must be a positive duration such as 500ms, 10s, 1m30s "
                        + "or PT10S, found '2' (add a unit: 2s)",
                "test.yaml:18:51: routes[3].healthCheck.rise: must be a whole number from 1 to 100, found '0'",
                "test.yaml:18:54: routes[3].healthCheck: unknown key 'every'; expected one of fall, interval, rise, timeout",
                "test.yaml:19:12: routes[3].alpn[0]: 'h 2' is not an ALPN protocol id: only visible ASCII characters "
                        + "(as in h2, http/1.1, acme-tls/1)",
                "test.yaml:19:19: routes[3].alpn[1]: an ALPN protocol id cannot be empty",
                "test.yaml:22:18: routes[4].healthCheck: must be a mapping such as {interval: 2s, timeout: 1s, rise: 2, "
                        + "fall: 3}, found '5s'",
                "test.yaml:23:11: routes[4].alpn: must be a non-empty list of ALPN protocol ids such as [h2, http/1.1] "
                        + "or [acme-tls/1]",
                "test.yaml:25:22: limits.perClient.burst: must be a whole number from 1 to 10000000, found '10' "
                        + "(write it without quotes)",
                "test.yaml:25:40: limits.perClient.ipv6Prefix: must be a whole number from 1 to 128, found '129'");
    }

    @Test
    void everyBrokenRuleAcrossTheNewKeysIsReportedAtOnceWithItsPosition() {
        List<String> errors = Rejections.of("""
                listeners:
                  - name: lb
                    address: 0.0.0.0:443
                    protocol: tls
                    acceptProxyProtocol: any
                  - name: direct
                    address: 0.0.0.0:8443
                    protocol: tls
                    trustedProxies: [10.0.0.0/8, 10.0.0.0/8]
                  - name: q
                    address: 0.0.0.0:443
                    protocol: quic
                    acceptProxyProtocol: v2
                    trustedProxies: [10.0.0.0/8]
                routes:
                  - hostnames: [b.example.com]
                    backends: [10.0.0.5:8443, "*"]
                  - hostnames: [c.example.com]
                    backends: [10.0.0.5:8443, "10.0.0.5:8443", 127.0.0.1:8443]
                  - hostnames: ["*.example.net"]
                    backend: "*"
                    healthCheck: {interval: 1s, timeout: 2s}
                  - hostnames: [d.example.com]
                    backends: [127.0.0.1:443]   # an http-only route: no loop through the tls listener
                    alpn: [h2, h2]
                    protocols: [http]
                limits:
                  perClient: {burst: 10}
                """);

        assertThat(errors).containsExactly(
                "test.yaml:5:26: listeners[0].acceptProxyProtocol: any needs trustedProxies: the address blocks of the "
                        + "balancers in front, such as [10.0.0.0/8]. A PROXY header names the client, so from anyone "
                        + "else it would let a client claim any address; write [0.0.0.0/0, \"::/0\"] to trust every peer",
                "test.yaml:9:21: listeners[1].trustedProxies: has no effect while acceptProxyProtocol is none; set "
                        + "acceptProxyProtocol to what the balancer sends (v1, v2 or any), or remove trustedProxies",
                "test.yaml:9:34: listeners[1].trustedProxies[1]: 10.0.0.0/8 is listed twice",
                "test.yaml:13:26: listeners[2].acceptProxyProtocol: v2 is not supported on a quic listener: a PROXY "
                        + "header prefixes a TCP stream, and UDP balancers in front of QUIC do not send one; remove "
                        + "the key (quic sees the balancer's address, or the client's when the balancer keeps it)",
                "test.yaml:17:31: routes[0].backends[1]: \"*\" must be the route's only backend: a transparent route "
                        + "connects to the name the client asked for",
                "test.yaml:19:31: routes[1].backends[1]: 10.0.0.5:8443 is already listed as routes[1].backends[0]; a "
                        + "backend may appear once",
                "test.yaml:19:48: routes[1].backends[2]: 127.0.0.1:8443 is the proxy's own listener 'direct'; the "
                        + "proxy would connect to itself until it runs out of file descriptors",
                "test.yaml:22:18: routes[2].healthCheck: a transparent route (backend \"*\") has no fixed backends to "
                        + "probe; remove healthCheck",
                "test.yaml:22:42: routes[2].healthCheck.timeout: must not be longer than interval (1s): a probe would "
                        + "still run when the next one is due, found 2s",
                "test.yaml:25:11: routes[3].alpn: never matches: an http connection offers no ALPN (only TLS and QUIC "
                        + "ClientHellos carry it); remove alpn or add tls/quic to protocols",
                "test.yaml:25:16: routes[3].alpn[1]: 'h2' is listed twice",
                "test.yaml:28:14: limits.perClient: sets no limit: give maxConnections, newConnectionsPerSecond or both "
                        + "(or remove perClient)",
                "test.yaml:28:22: limits.perClient.burst: needs newConnectionsPerSecond: burst is how many new "
                        + "connections a client may open at once before that rate applies");
    }

    @Test
    void aNameMayHaveOneRoutePerAlpnIdAndOneWithout() {
        List<String> errors = Rejections.of(LISTENER + """
                routes:
                  - hostnames: [api.example.com]
                    backend: 10.0.0.1
                  - hostnames: [api.example.com]
                    alpn: [acme-tls/1]
                    backend: 10.0.0.2
                  - hostnames: [api.example.com]
                    alpn: [h2, acme-tls/1]
                    backend: 10.0.0.3
                  - hostnames: [api.example.com]
                    backend: 10.0.0.4
                """);

        assertThat(errors).containsExactly(
                "test.yaml:8:17: routes[2].hostnames[0]: 'api.example.com' is already routed by routes[1] for the same "
                        + "protocols and ALPN id 'acme-tls/1'; a name may appear once per protocol and ALPN id",
                "test.yaml:11:17: routes[3].hostnames[0]: 'api.example.com' is already routed by routes[0] for the same "
                        + "protocols; a name may appear once per protocol");
    }

    @Test
    void theValidatorChecksTheNewKeysOfConfigsBuiltInCode() throws Exception {
        // The operator builds configs in code: the validator alone must refuse what the reader would.
        Listener lb = new Listener("lb", HostPort.of("0.0.0.0", 443), Protocol.TLS, Optional.empty(),
                AcceptProxyProtocol.V1, List.of());
        Route route = new Route(List.of("a.example.com"), List.of(), Balance.SOURCE,
                Optional.of(new HealthCheck(Duration.ZERO, Duration.ofSeconds(1), 0, 101)), List.of("x y"), Set.of(),
                ProxyProtocol.NONE);
        Limits limits = new Limits(100, 65_536, 100, Optional.of(
                new PerClientLimits(OptionalInt.of(0), OptionalInt.empty(), OptionalInt.empty(), 0)));
        ProxyConfig config = new ProxyConfig(List.of(lb), List.of(route), Timeouts.DEFAULTS, limits, Security.DEFAULTS,
                AccessLog.DEFAULTS);

        assertThat(ConfigValidator.validate(config)).extracting(ConfigProblem::toString).containsExactly(
                "listeners[0].acceptProxyProtocol: v1 needs trustedProxies: the address blocks of the balancers in "
                        + "front, such as [10.0.0.0/8]. A PROXY header names the client, so from anyone else it would "
                        + "let a client claim any address; write [0.0.0.0/0, \"::/0\"] to trust every peer",
                "routes[0]: 'backend' is missing (host:port, or \"*\" for transparent)",
                "routes[0].healthCheck.interval: must be a positive duration such as 500ms, 10s, 1m30s or PT10S, found PT0S",
                "routes[0].healthCheck.rise: must be a whole number from 1 to 100, found 0",
                "routes[0].healthCheck.fall: must be a whole number from 1 to 100, found 101",
                "routes[0].alpn[0]: 'x y' is not an ALPN protocol id: only visible ASCII characters (as in h2, "
                        + "http/1.1, acme-tls/1)",
                "limits.perClient.maxConnections: must be a whole number from 1 to 10000000, found 0",
                "limits.perClient.ipv6Prefix: must be a whole number from 1 to 128, found 0");
    }

    @Test
    void theWriterUsesTheOneBackendFormForOneBackendAndTheListOtherwise() throws Exception {
        ProxyConfig c = ConfigReader.read(ConfigReaderTest.resource("design-edge-example.yaml"));

        String yaml = ConfigWriter.toYaml(c);

        assertThat(yaml).contains("""
                  - name: lb
                    address: 0.0.0.0:443
                    protocol: tls
                    acceptProxyProtocol: v2
                    trustedProxies:
                      - 10.0.0.0/8
                """).contains("""
                    backends:
                      - 10.0.0.5:8443
                      - 10.0.0.6:8443
                    healthCheck:
                      interval: 2s
                      timeout: 1s
                      rise: 2
                      fall: 3
                """).contains("""
                    backend: 10.0.0.9:443
                    alpn:
                      - acme-tls/1
                """).contains("""
                  perClient:
                    maxConnections: 100
                    newConnectionsPerSecond: 50
                    burst: 100
                    ipv6Prefix: 64
                """);
        assertThat(ConfigReader.read("written", yaml)).isEqualTo(c);
    }

    @Test
    void aOneElementBackendsListIsTheSameRouteAsBackend() throws Exception {
        ProxyConfig list = ConfigReader.read("t", LISTENER + "routes: [{hostnames: [a.example.com], backends: [10.0.0.1]}]\n");
        ProxyConfig one = ConfigReader.read("t", LISTENER + "routes: [{hostnames: [a.example.com], backend: 10.0.0.1}]\n");

        assertThat(list).isEqualTo(one);
    }

    @Test
    void anErrorInAOneElementBackendsListPointsAtTheElement() {
        assertThat(Rejections.single(LISTENER + "routes: [{hostnames: [a.example.com], backends: [127.0.0.1]}]\n"))
                .isEqualTo("test.yaml:2:50: routes[0].backend: 127.0.0.1 is the proxy's own listener 'https' (the port "
                        + "is taken from listener 'https'); the proxy would connect to itself until it runs out of file "
                        + "descriptors");
    }

    @ParameterizedTest
    @CsvSource(textBlock = """
            roundrobin, ROUNDROBIN
            leastconn,  LEASTCONN
            source,     SOURCE
            """)
    void everyBalanceIsAccepted(String written, Balance expected) throws Exception {
        ProxyConfig c = ConfigReader.read("t", LISTENER
                + "routes: [{hostnames: [a.example.com], backends: [10.0.0.1, 10.0.0.2], balance: " + written + "}]\n");

        assertThat(c.routes().get(0).balance()).isEqualTo(expected);
    }

    private static Backend staticBackend(String host, int port) {
        return new Backend.Static(HostPort.of(host, port));
    }
}
