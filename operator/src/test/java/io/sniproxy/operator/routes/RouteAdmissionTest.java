package io.sniproxy.operator.routes;

import static io.sniproxy.operator.testing.Resources.persisted;
import static io.sniproxy.operator.testing.Resources.route;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.sniproxy.config.Backend;
import io.sniproxy.config.Protocol;
import io.sniproxy.operator.api.RouteProtocol;
import io.sniproxy.operator.api.SniRoute;
import io.sniproxy.operator.api.SniRouteSpec.BackendRef;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class RouteAdmissionTest {

    static final Service API = new ServiceBuilder().withNewMetadata().withNamespace("team-a").withName("api").endMetadata()
            .withNewSpec().addNewPort().withPort(8443).endPort().endSpec().build();

    final RouteAdmission admission = new RouteAdmission("cluster.local",
            (ns, name) -> ns.equals("team-a") && name.equals("api") ? Optional.of(API) : Optional.empty());

    @Test
    void olderRouteKeepsTheHostnameAndTheYoungerNamesIt() {
        SniRoute young = persisted(route("team-a", "young", "edge", BackendRef.address("10.0.0.1:443"),
                "shop.example.com"), "2026-01-02T00:00:00Z");
        SniRoute old = persisted(route("team-b", "old", "edge", BackendRef.address("10.0.0.2:443"),
                "shop.example.com", "www.example.com"), "2026-01-01T00:00:00Z");

        Map<String, RouteVerdict> verdicts = admission.admit(List.of(young, old));

        assertThat(verdicts.get("team-b/old").isAccepted()).isTrue();
        RouteVerdict loser = verdicts.get("team-a/young");
        assertThat(loser.reason()).isEqualTo(RouteVerdict.HOSTNAME_CONFLICT);
        assertThat(loser.message()).contains("'shop.example.com'").contains("team-b/old");
    }

    @Test
    void sameAgeConflictIsDecidedByNamespaceThenName() {
        String t = "2026-01-01T00:00:00Z";
        SniRoute b = persisted(route("ns-b", "a", "edge", BackendRef.address("10.0.0.1:443"), "x.example.com"), t);
        SniRoute a2 = persisted(route("ns-a", "z", "edge", BackendRef.address("10.0.0.2:443"), "x.example.com"), t);
        SniRoute a1 = persisted(route("ns-a", "y", "edge", BackendRef.address("10.0.0.3:443"), "x.example.com"), t);

        Map<String, RouteVerdict> verdicts = admission.admit(List.of(b, a2, a1));

        assertThat(verdicts.get("ns-a/y").isAccepted()).isTrue();
        assertThat(verdicts.get("ns-a/z").message()).contains("ns-a/y");
        assertThat(verdicts.get("ns-b/a").message()).contains("ns-a/y");
    }

    @Test
    void disjointProtocolsMayShareAHostname() {
        SniRoute tls = persisted(route("a", "tls", "edge", BackendRef.address("10.0.0.1:443"), "x.example.com"),
                "2026-01-01T00:00:00Z");
        tls.getSpec().protocols = List.of(RouteProtocol.TLS);
        SniRoute http = persisted(route("a", "http", "edge", BackendRef.address("10.0.0.1:80"), "x.example.com"),
                "2026-01-02T00:00:00Z");
        http.getSpec().protocols = List.of(RouteProtocol.HTTP);

        Map<String, RouteVerdict> verdicts = admission.admit(List.of(tls, http));

        assertThat(verdicts.values()).allMatch(RouteVerdict::isAccepted);
        assertThat(verdicts.get("a/http").route().orElseThrow().protocols()).containsExactly(Protocol.HTTP);
    }

    @Test
    void aRefusedRouteDoesNotBlockALaterOne() {
        SniRoute bad = persisted(route("a", "bad", "edge", BackendRef.address("nope"), "x.example.com"),
                "2026-01-01T00:00:00Z");
        SniRoute good = persisted(route("a", "good", "edge", BackendRef.address("10.0.0.1:443"), "x.example.com"),
                "2026-01-02T00:00:00Z");

        Map<String, RouteVerdict> verdicts = admission.admit(List.of(bad, good));

        assertThat(verdicts.get("a/bad").reason()).isEqualTo(RouteVerdict.INVALID);
        assertThat(verdicts.get("a/good").isAccepted()).isTrue();
    }

    @Test
    void aRouteFromANamespaceTheProxyRefusesClaimsNothing() {
        SniRoute outsider = persisted(route("outside", "grab", "edge", BackendRef.address("10.0.0.9:443"),
                "x.example.com"), "2026-01-01T00:00:00Z");
        SniRoute insider = persisted(route("inside", "own", "edge", BackendRef.address("10.0.0.1:443"),
                "x.example.com"), "2026-01-02T00:00:00Z");

        Map<String, RouteVerdict> verdicts = admission.admit(List.of(outsider, insider),
                ns -> ns.equals("inside") ? Optional.empty() : Optional.of("not from " + ns));

        assertThat(verdicts.get("outside/grab").reason()).isEqualTo(RouteVerdict.NOT_ALLOWED_BY_PARENT);
        assertThat(verdicts.get("outside/grab").message()).isEqualTo("not from outside");
        assertThat(verdicts.get("inside/own").isAccepted()).isTrue();
    }

    @Test
    void invalidInputIsNamedPrecisely() {
        assertThat(verdict(route("a", "r", "edge", BackendRef.address("10.0.0.1:443"), "ok.example.com", "bad_name.com")))
                .isEqualTo("Invalid: spec.hostnames[1]: 'bad_name.com' is not a valid hostname: character '_' is not "
                        + "allowed (letters, digits, '-' and '.')");
        assertThat(verdict(route("a", "r", "edge", BackendRef.address("10.0.0.1:443"), "a.*.example.com")))
                .startsWith("Invalid: spec.hostnames[0]: 'a.*.example.com': a wildcard must be the whole leftmost label");
        assertThat(verdict(route("a", "r", "edge", BackendRef.address("10.0.0.1:443"), "10.1.2.3")))
                .startsWith("Invalid: spec.hostnames[0]: '10.1.2.3' is an IP address");
        assertThat(verdict(route("a", "r", "edge", BackendRef.address("10.0.0.1:443"), "x.example.com", "X.example.com")))
                .isEqualTo("Invalid: spec.hostnames[1]: 'X.example.com' is listed twice");
        assertThat(verdict(route("a", "r", "edge", BackendRef.address("10.0.0.1:99999"), "x.example.com")))
                .startsWith("Invalid: spec.backend.address: '10.0.0.1:99999' is not host:port");
        BackendRef both = BackendRef.service("api", 8443);
        both.address = "10.0.0.1:443";
        assertThat(verdict(route("a", "r", "edge", both, "x.example.com")))
                .isEqualTo("Invalid: spec.backend: set exactly one of backend.service, backend.address and backend.addresses");
        assertThat(verdict(route("a", "r", "edge", BackendRef.service("Bad.Name", 8443), "x.example.com")))
                .startsWith("Invalid: spec.backend.service.name: 'Bad.Name' is not a Service name");
    }

    @Test
    void serviceBackendResolvesToItsClusterDnsNameInTheRoutesNamespace() {
        RouteVerdict v = admission.admit(List.of(route("team-a", "r", "edge", BackendRef.service("api", 8443),
                "api.example.com"))).get("team-a/r");

        assertThat(v.isAccepted()).isTrue();
        assertThat(v.backend()).contains("api.team-a.svc.cluster.local:8443");
        assertThat(v.route().orElseThrow().backends().get(0)).isInstanceOf(Backend.Static.class);
    }

    @Test
    void missingServiceOrPortIsBackendNotFound() {
        assertThat(verdict(route("team-b", "r", "edge", BackendRef.service("api", 8443), "x.example.com")))
                .isEqualTo("BackendNotFound: spec.backend.service: Service team-b/api does not exist");
        assertThat(verdict(route("team-a", "r", "edge", BackendRef.service("api", 9999), "x.example.com")))
                .isEqualTo("BackendNotFound: spec.backend.service.port: Service team-a/api has no port 9999");
    }

    private String verdict(SniRoute r) {
        RouteVerdict v = admission.admit(List.of(r)).values().iterator().next();
        return v.reason() + ": " + v.message();
    }
}
