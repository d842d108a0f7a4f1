package io.sniproxy.config;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Optional;
import java.util.OptionalInt;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** Reading valid files: the examples users copy, every field, and what an omitted field means. */
class ConfigReaderTest {

    private static final String MINIMAL = """
            listeners:
              - name: https
                address: 127.0.0.1:8443
                protocol: tls
            """;

    @Test
    void readsTheDesignDocumentsExampleVerbatim() throws Exception {
        ProxyConfig c = ConfigReader.read(resource("design-example.yaml"));

        assertThat(c.listeners()).containsExactly(
                new Listener("https", HostPort.of("0.0.0.0", 443), Protocol.TLS, Optional.empty()));
        assertThat(c.routes()).containsExactly(
                new Route(List.of("api.example.com", "*.example.org"),
                        new Backend.Static(HostPort.of("10.0.0.5", 8443)), Set.of(Protocol.TLS, Protocol.QUIC),
                        ProxyProtocol.NONE),
                new Route(List.of("*.example.net"), Backend.TRANSPARENT, Set.of(), ProxyProtocol.NONE));
        assertThat(c.timeouts()).isEqualTo(new Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(5),
                Duration.ofMinutes(5), Duration.ofSeconds(30), Timeouts.DEFAULTS.drain()));
        assertThat(c.limits()).isEqualTo(new Limits(50_000, 65_536, Limits.DEFAULTS.maxUdpSessions()));
        assertThat(c.security().allowPrivateBackends()).isFalse();
        assertThat(c.accessLog().enabled()).isFalse();
    }

    @Test
    void readsTheProxysBuiltInDefaultConfig() throws Exception {
        // The file the packaged proxy starts with when no config is given: it must always load.
        Path builtIn = Path.of("..", "proxy", "src", "main", "resources", "sniproxy-default.yaml");
        assertThat(builtIn).exists();

        ProxyConfig c = ConfigReader.read(builtIn);

        assertThat(c.listeners()).extracting(Listener::name).containsExactly("https", "http", "quic");
        assertThat(c.listeners()).allSatisfy(l -> assertThat(l.address().host()).isEqualTo("127.0.0.1"));
        assertThat(c.routes()).singleElement().satisfies(r -> {
            assertThat(r.hostnames()).containsExactly("localhost");
            assertThat(r.backends()).containsExactly(new Backend.Static(HostPort.of("127.0.0.1", 9000)));
            assertThat(r.protocols()).containsExactly(Protocol.HTTP);
        });
        assertThat(c.security().allowPrivateBackends()).isFalse();
    }

    @Test
    void readsEveryField() throws Exception {
        ProxyConfig c = ConfigReader.read(resource("every-field.yaml"));

        assertThat(c.listeners()).containsExactly(
                new Listener("https", HostPort.of("0.0.0.0", 443), Protocol.TLS,
                        Optional.of(new Backend.Static(HostPort.of("10.0.0.9", 8443)))),
                new Listener("plain-http", HostPort.of("::", 80), Protocol.HTTP, Optional.empty()),
                new Listener("quic", HostPort.of("0.0.0.0", 443), Protocol.QUIC, Optional.empty()),
                new Listener("any_port.2", HostPort.of("127.0.0.1", 2222), Protocol.AUTO,
                        Optional.of(new Backend.Static(HostPort.of("fd00::22", 22)))));
        assertThat(c.routes()).containsExactly(
                new Route(List.of("api.example.com", "*.Example.ORG."),
                        new Backend.Static(HostPort.of("10.0.0.5", 8443)), Set.of(Protocol.TLS, Protocol.QUIC),
                        ProxyProtocol.V2),
                new Route(List.of("www.example.com"),
                        new Backend.Static(new HostPort("backend.internal", OptionalInt.empty())),
                        Set.of(Protocol.HTTP), ProxyProtocol.V1),
                new Route(List.of("*.example.net"), Backend.TRANSPARENT, Set.of(), ProxyProtocol.NONE));
        assertThat(c.timeouts()).isEqualTo(new Timeouts(Duration.ofSeconds(3), Duration.ofMillis(1500),
                Duration.ofMinutes(90), Duration.ofSeconds(45), Duration.ofMinutes(2)));
        assertThat(c.limits()).isEqualTo(new Limits(1000, 16384, 500));
        assertThat(c.security()).isEqualTo(new Security(true));
        assertThat(c.accessLog()).isEqualTo(new AccessLog(true));
    }

    @Test
    void omittedSectionsTakeTheDocumentedDefaults() throws Exception {
        ProxyConfig c = ConfigReader.read("minimal.yaml", MINIMAL);

        assertThat(c.routes()).isEmpty();
        assertThat(c.timeouts()).isEqualTo(new Timeouts(Duration.ofSeconds(10), Duration.ofSeconds(5),
                Duration.ofMinutes(5), Duration.ofSeconds(30), Duration.ofSeconds(30)));
        assertThat(c.limits()).isEqualTo(new Limits(50_000, 65_536, 10_000));
        assertThat(c.security()).isEqualTo(new Security(false));
        assertThat(c.accessLog()).isEqualTo(new AccessLog(false));
        assertThat(c.listeners().get(0).defaultBackend()).isEmpty();
    }

    @Test
    void nullAndEmptySectionsAlsoMeanDefaults() throws Exception {
        ProxyConfig c = ConfigReader.read("nulls.yaml", MINIMAL + """
                routes:
                timeouts: ~
                limits: {}
                security: null
                accessLog:
                connectionPool: {}
                """);

        assertThat(c.routes()).isEmpty();
        assertThat(c.timeouts()).isEqualTo(Timeouts.DEFAULTS);
        assertThat(c.limits()).isEqualTo(Limits.DEFAULTS);
        assertThat(c.security()).isEqualTo(Security.DEFAULTS);
        assertThat(c.accessLog()).isEqualTo(AccessLog.DEFAULTS);
    }

    @Test
    void partlyGivenSectionsKeepTheDefaultsOfTheRest() throws Exception {
        ProxyConfig c = ConfigReader.read("partial.yaml", MINIMAL + """
                timeouts:
                  idle: 1m
                limits:
                  maxUdpSessions: 7
                """);

        assertThat(c.timeouts()).isEqualTo(new Timeouts(Timeouts.DEFAULTS.clientHello(), Timeouts.DEFAULTS.connect(),
                Duration.ofMinutes(1), Timeouts.DEFAULTS.udpSession(), Timeouts.DEFAULTS.drain()));
        assertThat(c.limits()).isEqualTo(new Limits(Limits.DEFAULTS.maxConnections(),
                Limits.DEFAULTS.maxClientHelloBytes(), 7));
    }

    @Test
    void aRouteWithoutProtocolsAppliesToEveryProtocolAndDefaultsToNoProxyHeader() throws Exception {
        ProxyConfig c = ConfigReader.read("route.yaml", MINIMAL + """
                routes:
                  - hostnames: [a.example.com]
                    backend: 10.0.0.1
                """);

        Route r = c.routes().get(0);
        assertThat(r.protocols()).isEmpty();
        assertThat(r.proxyProtocol()).isEqualTo(ProxyProtocol.NONE);
        assertThat(Protocol.values()).allSatisfy(p -> assertThat(r.appliesTo(p)).isTrue());
        assertThat(r.backends()).containsExactly(new Backend.Static(new HostPort("10.0.0.1", OptionalInt.empty())));
    }

    @Test
    void aRouteWithProtocolsAppliesOnlyToThose() throws Exception {
        ProxyConfig c = ConfigReader.read("route.yaml", MINIMAL + """
                routes:
                  - hostnames: [a.example.com]
                    backend: 10.0.0.1:443
                    protocols: [quic]
                """);

        Route r = c.routes().get(0);
        assertThat(r.appliesTo(Protocol.QUIC)).isTrue();
        assertThat(r.appliesTo(Protocol.TLS)).isFalse();
        assertThat(r.appliesTo(Protocol.HTTP)).isFalse();
    }

    @Test
    void flowStyleAndBlockStyleReadTheSame() throws Exception {
        ProxyConfig block = ConfigReader.read(resource("design-example.yaml"));
        ProxyConfig flow = ConfigReader.read("flow.yaml", """
                {listeners: [{name: https, address: "0.0.0.0:443", protocol: tls}],
                 routes: [{hostnames: [api.example.com, "*.example.org"], backend: "10.0.0.5:8443",
                           protocols: [tls, quic]},
                          {hostnames: ["*.example.net"], backend: "*"}]}
                """);

        assertThat(flow).isEqualTo(block);
    }

    @Test
    void scalarsMayBeQuotedWhereTextIsExpected() throws Exception {
        ProxyConfig c = ConfigReader.read("quoted.yaml", """
                listeners:
                  - name: '443'
                    address: "127.0.0.1:443"
                    protocol: 'tls'
                """);

        assertThat(c.listeners().get(0).name()).isEqualTo("443");
        assertThat(c.listeners().get(0).protocol()).isEqualTo(Protocol.TLS);
    }

    @Test
    void aNumericListenerNameIsReadAsText() throws Exception {
        ProxyConfig c = ConfigReader.read("numeric.yaml", """
                listeners:
                  - name: 8443
                    address: 127.0.0.1:8443
                    protocol: tls
                """);

        assertThat(c.listeners().get(0).name()).isEqualTo("8443");
    }

    @Test
    void aByteOrderMarkAndWindowsLineEndingsAreFine() throws Exception {
        ProxyConfig c = ConfigReader.read("crlf.yaml", "\uFEFF" + MINIMAL.replace("\n", "\r\n"));

        assertThat(c.listeners()).hasSize(1);
    }

    @Test
    void theListenerPortComesFromItsAddress() throws Exception {
        ProxyConfig c = ConfigReader.read("minimal.yaml", MINIMAL);

        assertThat(c.listeners().get(0).port()).isEqualTo(8443);
    }

    @Test
    void readingAFileUsesItsPathAsTheSourceOfErrors(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
        Path file = dir.resolve("bad.yaml");
        Files.writeString(file, "listeners: 5\n");

        org.assertj.core.api.Assertions.assertThatThrownBy(() -> ConfigReader.read(file))
                .isInstanceOf(ConfigException.class)
                .hasMessage(file + ":1:12: listeners: must be a list, found '5'");
    }

    static Path resource(String name) {
        return Path.of("src", "test", "resources", "config", name);
    }
}
