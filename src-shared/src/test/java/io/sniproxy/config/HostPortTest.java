package io.sniproxy.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.OptionalInt;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** {@code host:port} as listeners and backends write it, IPv6 in brackets. */
class HostPortTest {

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            127.0.0.1:443         | 127.0.0.1   | 443
            example.com:1         | example.com | 1
            example.com:65535     | example.com | 65535
            [::1]:443             | ::1         | 443
            [::]:8443             | ::          | 8443
            [2001:db8::1]:80      | 2001:db8::1 | 80
            [::ffff:10.0.0.1]:443 | ::ffff:10.0.0.1 | 443
            localhost:00443       | localhost   | 443
            """)
    void parsesHostAndPort(String text, String host, int port) {
        assertThat(HostPort.parse(text, true)).contains(HostPort.of(host, port));
        assertThat(HostPort.parse(text, false)).contains(HostPort.of(host, port));
    }

    @ParameterizedTest
    @CsvSource(delimiter = '|', textBlock = """
            example.com   | example.com
            10.0.0.1      | 10.0.0.1
            [::1]         | ::1
            [2001:db8::1] | 2001:db8::1
            """)
    void aBackendMayOmitThePort(String text, String host) {
        assertThat(HostPort.parse(text, false)).contains(new HostPort(host, OptionalInt.empty()));
        assertThat(HostPort.parse(text, true)).as("a listener may not").isEmpty();
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ":443", "host:", "host:0", "host:65536", "host:99999", "host:123456", "host:-1",
            "host:+1", "host:1a", "host: 1", "[::1]:", "[::1]x", "[::1", "::1]:443", "[]:443", "[1.2.3.4]:443",
            "::1:443", "a:b:c", "[::1]:443:1", "::1", "2001:db8::1"})
    void refusesMalformedText(String text) {
        // An IPv6 literal needs brackets even without a port: "2001:db8::1:443" could be either.
        assertThat(HostPort.parse(text, false)).isEmpty();
        assertThat(HostPort.parse(text, true)).isEmpty();
    }

    @Test
    void refusesNullAndOverlongText() {
        assertThat(HostPort.parse(null, false)).isEmpty();
        assertThat(HostPort.parse("a".repeat(301), false)).isEmpty();
    }

    @Test
    void printsIpv6InBrackets() {
        assertThat(HostPort.of("::1", 443)).hasToString("[::1]:443");
        assertThat(new HostPort("::1", OptionalInt.empty())).hasToString("[::1]");
        assertThat(HostPort.of("example.com", 80)).hasToString("example.com:80");
        assertThat(new HostPort("example.com", OptionalInt.empty())).hasToString("example.com");
        assertThat(HostPort.of("::1", 443).isIpv6Literal()).isTrue();
        assertThat(HostPort.of("10.0.0.1", 443).isIpv6Literal()).isFalse();
    }

    @Test
    void theListenersPortIsTheFallback() {
        assertThat(new HostPort("a", OptionalInt.empty()).portOr(8443)).isEqualTo(8443);
        assertThat(HostPort.of("a", 1).portOr(8443)).isEqualTo(1);
    }

    @Test
    void aHostIsRequired() {
        assertThatThrownBy(() -> new HostPort("", OptionalInt.empty())).isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new HostPort(null, OptionalInt.of(1))).isInstanceOf(IllegalArgumentException.class);
    }

    @Property(tries = 500)
    void printThenParseIsTheIdentity(@ForAll("hostPorts") HostPort hp) {
        assertThat(HostPort.parse(hp.toString(), false)).contains(hp);
        assertThat(HostPort.parse(hp.toString(), true)).isEqualTo(hp.port().isPresent()
                ? java.util.Optional.of(hp) : java.util.Optional.empty());
    }

    @Property(tries = 1000)
    void anyTextParsesOrNotButNeverThrows(@ForAll String text, @ForAll boolean portRequired) {
        HostPort.parse(text, portRequired).ifPresent(hp -> {
            assertThat(hp.host()).isNotEmpty();
            hp.port().ifPresent(p -> assertThat(p).isBetween(1, 65535));
        });
    }

    @Provide
    Arbitrary<HostPort> hostPorts() {
        Arbitrary<String> names = Arbitraries.strings().withCharRange('a', 'z').withCharRange('0', '9').withChars('-', '.')
                .ofMinLength(1).ofMaxLength(30).filter(s -> !s.contains(":"));
        Arbitrary<String> v4 = Arbitraries.integers().between(0, 255).list().ofSize(4)
                .map(l -> String.join(".", l.stream().map(String::valueOf).toList()));
        Arbitrary<String> v6 = Arbitraries.of("::1", "::", "2001:db8::1", "fe80::1:2:3", "::ffff:10.0.0.1");
        Arbitrary<OptionalInt> ports = Arbitraries.oneOf(Arbitraries.just(OptionalInt.empty()),
                Arbitraries.integers().between(1, 65535).map(OptionalInt::of));
        return Combinators.combine(Arbitraries.oneOf(names, v4, v6), ports).as(HostPort::new);
    }
}
