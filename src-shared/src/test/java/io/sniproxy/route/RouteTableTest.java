package io.sniproxy.route;

import static org.assertj.core.api.Assertions.assertThat;

import io.sniproxy.config.Backend;
import io.sniproxy.config.Balance;
import io.sniproxy.config.HostPort;
import io.sniproxy.config.Protocol;
import io.sniproxy.config.ProxyProtocol;
import io.sniproxy.config.Route;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Exact names first, then the longest {@code *.} suffix; case and a trailing dot do not matter. */
class RouteTableTest {

    private static final Route EXACT = route("api.example.com");
    private static final Route WILD = route("*.example.com");
    private static final Route DEEPER = route("*.eu.example.com");
    private static final Route OTHER = route("example.com");
    private static final RouteTable TABLE = RouteTable.of(List.of(WILD, DEEPER, EXACT, OTHER));

    @ParameterizedTest
    @CsvSource(textBlock = """
            api.example.com,        api.example.com
            API.Example.COM,        api.example.com
            api.example.com.,       api.example.com
            www.example.com,        *.example.com
            a.b.example.com,        *.example.com
            x.eu.example.com,       *.eu.example.com
            a.b.eu.example.com,     *.eu.example.com
            eu.example.com,         *.example.com
            example.com,            example.com
            EXAMPLE.COM.,           example.com
            """)
    void routesByTheMostSpecificPattern(String requested, String pattern) {
        assertThat(TABLE.match(requested, Protocol.TLS)).map(r -> r.hostnames().get(0)).contains(pattern);
    }

    @ParameterizedTest
    @CsvSource(textBlock = """
            ''
            .
            com
            example.org
            notexample.com
            .example.com
            example.com..
            api.example.com.evil.net
            .a.example.com
            a..example.com
            x..eu.example.com
            """)
    void unmatchedNamesReachNoRoute(String requested) {
        assertThat(TABLE.match(requested, Protocol.TLS)).isEmpty();
    }

    @Test
    void aWildcardDoesNotMatchTheBareDomain() {
        RouteTable table = RouteTable.of(List.of(route("*.example.com")));

        assertThat(table.match("example.com", Protocol.TLS)).isEmpty();
        assertThat(table.match("a.example.com", Protocol.TLS)).isPresent();
    }

    @Test
    void anExactNameBeatsAWildcardListedEarlier() {
        Route wildcard = route("*.example.com");
        Route exact = route("www.example.com");

        assertThat(RouteTable.of(List.of(wildcard, exact)).match("www.example.com", Protocol.TLS)).contains(exact);
    }

    @Test
    void routesOnlyServeTheirProtocols() {
        Route tlsOnly = new Route(List.of("a.example.com"), backend(1), Set.of(Protocol.TLS), ProxyProtocol.NONE);
        Route httpOnly = new Route(List.of("a.example.com"), backend(2), Set.of(Protocol.HTTP), ProxyProtocol.NONE);
        Route wildcardQuic = new Route(List.of("*.example.com"), backend(3), Set.of(Protocol.QUIC), ProxyProtocol.NONE);
        RouteTable table = RouteTable.of(List.of(tlsOnly, httpOnly, wildcardQuic));

        assertThat(table.match("a.example.com", Protocol.TLS)).contains(tlsOnly);
        assertThat(table.match("a.example.com", Protocol.HTTP)).contains(httpOnly);
        assertThat(table.match("a.example.com", Protocol.QUIC)).as("falls through to the wildcard").contains(wildcardQuic);
        assertThat(table.match("b.example.com", Protocol.TLS)).isEmpty();
    }

    @Test
    void aShorterWildcardServesAProtocolTheLongerOneDoesNot() {
        Route deepTls = new Route(List.of("*.eu.example.com"), backend(1), Set.of(Protocol.TLS), ProxyProtocol.NONE);
        Route wideAll = route("*.example.com");
        RouteTable table = RouteTable.of(List.of(deepTls, wideAll));

        assertThat(table.match("x.eu.example.com", Protocol.TLS)).contains(deepTls);
        assertThat(table.match("x.eu.example.com", Protocol.HTTP)).contains(wideAll);
    }

    // --- ALPN: name first, then ALPN ---------------------------------------------------------------

    @Test
    void aRouteWhoseAlpnIsOfferedBeatsOneWithoutForTheSameName() {
        Route service = route("api.example.com");
        Route acme = alpnRoute("api.example.com", 9, "acme-tls/1");
        RouteTable table = RouteTable.of(List.of(service, acme));

        assertThat(table.match("api.example.com", Protocol.TLS, List.of("acme-tls/1"))).contains(acme);
        assertThat(table.match("api.example.com", Protocol.TLS, List.of("h2", "http/1.1"))).contains(service);
        assertThat(table.match("api.example.com", Protocol.TLS, List.of())).as("no ALPN offered").contains(service);
        assertThat(table.match("api.example.com", Protocol.TLS)).contains(service);
    }

    @Test
    void aRouteWhoseAlpnIsNotOfferedIsSkippedSoALessSpecificNameMayMatch() {
        Route acme = alpnRoute("api.example.com", 9, "acme-tls/1");
        Route wildcard = route("*.example.com");
        RouteTable table = RouteTable.of(List.of(acme, wildcard));

        assertThat(table.match("api.example.com", Protocol.TLS, List.of("acme-tls/1"))).contains(acme);
        assertThat(table.match("api.example.com", Protocol.TLS, List.of("h2"))).contains(wildcard);
        assertThat(RouteTable.of(List.of(acme)).match("api.example.com", Protocol.TLS, List.of("h2")))
                .as("nothing else for the name: no route").isEmpty();
    }

    @Test
    void theNameIsMoreSpecificThanTheAlpn() {
        // An exact name without alpn beats a wildcard whose alpn the client offers.
        Route exact = route("api.example.com");
        Route wildcardH2 = alpnRoute("*.example.com", 8, "h2");
        RouteTable table = RouteTable.of(List.of(wildcardH2, exact));

        assertThat(table.match("api.example.com", Protocol.TLS, List.of("h2"))).contains(exact);
        assertThat(table.match("www.example.com", Protocol.TLS, List.of("h2"))).contains(wildcardH2);
    }

    @Test
    void severalMatchingAlpnRoutesAreTakenInTheClientsOrder() {
        Route h2 = alpnRoute("api.example.com", 2, "h2");
        Route acme = alpnRoute("api.example.com", 9, "acme-tls/1");
        RouteTable table = RouteTable.of(List.of(h2, acme));

        assertThat(table.match("api.example.com", Protocol.TLS, List.of("acme-tls/1", "h2"))).contains(acme);
        assertThat(table.match("api.example.com", Protocol.TLS, List.of("h2", "acme-tls/1"))).contains(h2);
    }

    @Test
    void alpnIdsAreComparedExactly() {
        // ALPN ids are byte strings (RFC 7301): "H2" is not "h2".
        Route h2 = alpnRoute("api.example.com", 2, "h2");

        assertThat(RouteTable.of(List.of(h2)).match("api.example.com", Protocol.TLS, List.of("H2"))).isEmpty();
    }

    @Test
    void alpnRoutesStillServeOnlyTheirProtocols() {
        Route h3 = new Route(List.of("api.example.com"), List.of(backend(3)), Balance.DEFAULT, Optional.empty(),
                List.of("h3"), Set.of(Protocol.QUIC), ProxyProtocol.NONE);
        Route tls = route("api.example.com");
        RouteTable table = RouteTable.of(List.of(h3, tls));

        assertThat(table.match("api.example.com", Protocol.QUIC, List.of("h3"))).contains(h3);
        assertThat(table.match("api.example.com", Protocol.TLS, List.of("h3"))).contains(tls);
    }

    @Test
    void patternsAreNormalisedToo() {
        Route r = route("*.Example.COM.");

        assertThat(RouteTable.of(List.of(r)).match("a.example.com", Protocol.TLS)).contains(r);
    }

    @Test
    void overlongNamesAreNotMatched() {
        String label = "a".repeat(63);
        String longName = String.join(".", label, label, label, label, "example.com");
        RouteTable table = RouteTable.of(List.of(route("*.example.com")));

        assertThat(table.match(longName, Protocol.TLS)).isEmpty();
        String name253 = String.join(".", "b", label, label, label, "a".repeat(47), "example", "com");
        assertThat(name253).hasSize(253);
        assertThat(table.match(name253, Protocol.TLS)).as("253 is the limit").isPresent();
        assertThat(table.match(name253 + ".", Protocol.TLS)).as("a trailing dot does not count").isPresent();
        assertThat(table.match("c" + name253, Protocol.TLS)).isEmpty();
        assertThat(table.match(null, Protocol.TLS)).isEmpty();
    }

    @Test
    void anEmptyTableMatchesNothing() {
        assertThat(RouteTable.of(List.of()).match("example.com", Protocol.TLS)).isEmpty();
    }

    @Property(tries = 1000)
    void agreesWithANaiveMatcher(@ForAll("routeLists") List<Route> routes, @ForAll("queries") String name,
            @ForAll Protocol protocol) {
        assertThat(RouteTable.of(routes).match(name, protocol)).isEqualTo(naiveMatch(routes, name, protocol));
    }

    @Property(tries = 300)
    void caseAndATrailingDotNeverChangeTheAnswer(@ForAll("routeLists") List<Route> routes, @ForAll("queries") String name,
            @ForAll Protocol protocol) {
        RouteTable table = RouteTable.of(routes);
        Optional<Route> plain = table.match(name, protocol);

        assertThat(table.match(name.toUpperCase(Locale.ROOT), protocol)).isEqualTo(plain);
        if (!name.endsWith(".")) {
            assertThat(table.match(name + ".", protocol)).isEqualTo(plain);
        }
    }

    /**
     * The rule written as plainly as possible: the first route, in file order, with an exact pattern
     * equal to the name; else, among wildcard patterns {@code *.S} where the name is {@code X.S} with
     * a non-empty X, the longest S, first route in file order. A name with an empty label matches nothing.
     */
    static Optional<Route> naiveMatch(List<Route> routes, String requested, Protocol protocol) {
        if (requested == null || requested.isEmpty() || requested.length() > 254) {
            return Optional.empty();
        }
        String name = requested.toLowerCase(Locale.ROOT);
        if (name.endsWith(".")) {
            name = name.substring(0, name.length() - 1);
        }
        if (name.length() > 253 || List.of(name.split("\\.", -1)).contains("")) {
            return Optional.empty();
        }
        for (Route r : routes) {
            if (r.appliesTo(protocol)) {
                for (String p : r.hostnames()) {
                    if (!p.startsWith("*.") && normalise(p).equals(name)) {
                        return Optional.of(r);
                    }
                }
            }
        }
        Route best = null;
        int bestLength = -1;
        for (Route r : routes) {
            if (!r.appliesTo(protocol)) {
                continue;
            }
            for (String p : r.hostnames()) {
                String n = normalise(p);
                if (n.startsWith("*.")) {
                    String suffix = n.substring(1); // ".example.com"
                    boolean matches = name.endsWith(suffix) && name.length() > suffix.length();
                    if (matches && suffix.length() > bestLength) {
                        best = r;
                        bestLength = suffix.length();
                    }
                }
            }
        }
        return Optional.ofNullable(best);
    }

    private static String normalise(String p) {
        String n = p.toLowerCase(Locale.ROOT);
        return n.endsWith(".") ? n.substring(0, n.length() - 1) : n;
    }

    // A small alphabet of labels, so that generated names and patterns overlap often.
    private static final Arbitrary<String> LABEL = Arbitraries.of("a", "b", "c", "example", "com");

    @Provide
    Arbitrary<List<Route>> routeLists() {
        Arbitrary<String> pattern = Combinators.combine(LABEL.list().ofMinSize(1).ofMaxSize(3), Arbitraries.of(true, false),
                        Arbitraries.of(true, false), Arbitraries.of(true, false))
                .as((labels, wildcard, upper, dot) -> {
                    String n = (wildcard ? "*." : "") + String.join(".", labels) + (dot ? "." : "");
                    return upper ? n.toUpperCase(Locale.ROOT) : n;
                });
        Arbitrary<Route> route = Combinators.combine(pattern.list().ofMinSize(1).ofMaxSize(3),
                        Arbitraries.subsetOf(Protocol.TLS, Protocol.HTTP, Protocol.QUIC), Arbitraries.integers().between(1, 9))
                .as((patterns, protocols, id) -> new Route(patterns, backend(id), protocols, ProxyProtocol.NONE));
        return route.list().ofMaxSize(8);
    }

    @Provide
    Arbitrary<String> queries() {
        Arbitrary<String> names = Combinators.combine(LABEL.list().ofMinSize(1).ofMaxSize(4), Arbitraries.of(true, false),
                        Arbitraries.of(true, false))
                .as((labels, dot, leadingDot) -> (leadingDot ? "." : "") + String.join(".", labels) + (dot ? "." : ""));
        Arbitrary<String> odd = Arbitraries.of("", ".", "..", "a..com", "*.com", "*", "a.*.com", "com.", "example.com..");
        return Arbitraries.frequencyOf(net.jqwik.api.Tuple.of(9, names), net.jqwik.api.Tuple.of(1, odd));
    }

    private static Route alpnRoute(String pattern, int backend, String... alpn) {
        return new Route(List.of(pattern), List.of(backend(backend)), Balance.DEFAULT, Optional.empty(), List.of(alpn),
                Set.of(), ProxyProtocol.NONE);
    }

    private static Route route(String pattern) {
        return new Route(List.of(pattern), backend(pattern.length()), Set.of(), ProxyProtocol.NONE);
    }

    private static Backend backend(int id) {
        return new Backend.Static(HostPort.of("10.0.0." + id, 443));
    }

    @Test
    void theNaiveMatcherItselfFollowsTheRule() {
        // Guard against a reference that agrees with the table by being wrong in the same way.
        List<Route> routes = new ArrayList<>(List.of(WILD, DEEPER, EXACT, OTHER));
        assertThat(naiveMatch(routes, "x.eu.example.com", Protocol.TLS)).contains(DEEPER);
        assertThat(naiveMatch(routes, "API.example.com.", Protocol.TLS)).contains(EXACT);
        assertThat(naiveMatch(routes, "example.com", Protocol.TLS)).contains(OTHER);
        assertThat(naiveMatch(List.of(WILD), "example.com", Protocol.TLS)).isEmpty();
    }
}
