package io.sniproxy.operator.route;

import static io.sniproxy.operator.testing.Resources.proxy;
import static io.sniproxy.operator.testing.Resources.route;
import static io.sniproxy.operator.testing.Resources.tls;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.common.WithTestResource;
import io.sniproxy.operator.testing.ControlPlane;
import io.sniproxy.operator.testing.RealApiServer;
import io.sniproxy.operator.api.SniProxy;
import io.sniproxy.operator.api.SniRoute;
import io.sniproxy.operator.api.SniRouteSpec;
import io.sniproxy.operator.api.SniRouteSpec.BackendRef;
import io.sniproxy.operator.support.Conditions;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** SniRoute statuses as users see them with {@code kubectl get sniroutes}. */
@QuarkusTest
@WithTestResource(RealApiServer.class)
class SniRouteStatusTest {

    static final Duration WAIT = Duration.ofSeconds(20);

    /** The tests act as a cluster admin; the operator runs with its own RBAC. */
    final KubernetesClient client = ControlPlane.get().admin();

    @BeforeAll
    static void namespaces() {
        ControlPlane.get().namespace("edge-ns");
        ControlPlane.get().namespace("team-a");
        ControlPlane.get().namespace("team-b");
        ControlPlane.get().namespace("guarded");
        ControlPlane.get().namespace("stranger");
        ControlPlane.get().namespace("invalid-routes");
        ControlPlane.get().namespace("orphans");
        ControlPlane.get().namespace("svc");
        ControlPlane.get().namespace("noref");
    }

    @Test
    void conflictAcrossNamespacesIsWonByTheOlderRoute() throws Exception {
        SniProxy edge = proxy("edge-ns", "edge", tls("https", 8443));
        edge.getSpec().allowedRouteNamespaces = List.of("team-a", "team-b");
        client.resource(edge).create();
        SniRoute older = route("team-a", "shop", "edge", BackendRef.address("10.0.0.1:443"), "shop.example.com");
        older.getSpec().proxyRef.namespace = "edge-ns";
        client.resource(older).create();
        Condition accepted = await().atMost(WAIT).until(() -> condition("team-a", "shop", "Accepted"),
                c -> c != null && c.getStatus().equals("True"));
        assertThat(accepted.getReason()).isEqualTo("Accepted");
        // creationTimestamp has one-second resolution: create the second route in a later second.
        java.time.Instant created = java.time.Instant.parse(client.resources(SniRoute.class).inNamespace("team-a")
                .withName("shop").get().getMetadata().getCreationTimestamp());
        await().atMost(WAIT).until(() -> java.time.Instant.now().isAfter(created.plusSeconds(1)));

        SniRoute younger = route("team-b", "shop", "edge", BackendRef.address("10.0.0.2:443"), "www.example.com",
                "shop.example.com");
        younger.getSpec().proxyRef.namespace = "edge-ns";
        client.resource(younger).create();

        Condition lost = await().atMost(WAIT).until(() -> condition("team-b", "shop", "Accepted"),
                c -> c != null && c.getReason().equals("HostnameConflict"));
        assertThat(lost.getStatus()).isEqualTo("False");
        assertThat(lost.getMessage()).contains("'shop.example.com'").contains("team-a/shop");
        assertThat(condition("team-b", "shop", "Programmed").getStatus()).isEqualTo("False");
        assertThat(condition("team-a", "shop", "Accepted").getStatus()).isEqualTo("True");
        await().atMost(WAIT).until(() -> condition("team-a", "shop", "Programmed"), c -> c != null && "True".equals(c.getStatus()));
        String config = client.configMaps().inNamespace("edge-ns").withName("edge-config").get().getData().get("config.yaml");
        assertThat(config).contains("10.0.0.1:443").doesNotContain("10.0.0.2").doesNotContain("www.example.com");
        assertThat(client.v1().events().inNamespace("team-b").list().getItems())
                .anySatisfy(e -> {
                    assertThat(e.getReason()).isEqualTo("HostnameConflict");
                    assertThat(e.getType()).isEqualTo("Warning");
                    assertThat(e.getInvolvedObject().getName()).isEqualTo("shop");
                });

        // The winner goes away: the loser takes the name over.
        client.resources(SniRoute.class).inNamespace("team-a").withName("shop").delete();
        await().atMost(WAIT).until(() -> condition("team-b", "shop", "Programmed"), c -> c != null && "True".equals(c.getStatus()));
        assertThat(client.configMaps().inNamespace("edge-ns").withName("edge-config").get().getData().get("config.yaml"))
                .contains("10.0.0.2:443").contains("www.example.com");
    }

    @Test
    void routeFromANamespaceTheProxyDoesNotAcceptIsRefused() {
        client.resource(proxy("guarded", "edge", tls("https", 8443))).create();
        SniRoute stranger = route("stranger", "grab", "edge", BackendRef.address("10.0.0.9:443"), "bank.example.com");
        stranger.getSpec().proxyRef.namespace = "guarded";
        client.resource(stranger).create();

        Condition c = await().atMost(WAIT).until(() -> condition("stranger", "grab", "Accepted"), x -> x != null);
        assertThat(c.getStatus()).isEqualTo("False");
        assertThat(c.getReason()).isEqualTo("NotAllowedByParent");
        assertThat(c.getMessage()).contains("SniProxy guarded/edge does not accept routes from namespace 'stranger'");
        String config = await().atMost(WAIT).until(
                () -> client.configMaps().inNamespace("guarded").withName("edge-config").get(), cm -> cm != null)
                .getData().get("config.yaml");
        assertThat(config).doesNotContain("bank.example.com");
    }

    @Test
    void theServerRefusesWhatTheSchemaForbidsAndNamesTheFields() {
        SniRoute bad = route("invalid-routes", "bad", "edge", BackendRef.address("10.0.0.1"), "under_score.example.com");

        assertThatThrownBy(() -> client.resource(bad).create())
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
                    assertThat(e.getCode()).isEqualTo(422);
                    assertThat(e.getStatus().getDetails().getCauses()).extracting(c -> c.getField())
                            .contains("spec.hostnames", "spec.backend.address");
                });
        assertThat(client.resources(SniRoute.class).inNamespace("invalid-routes").withName("bad").get()).isNull();
    }

    @Test
    void invalidRoutesTheSchemaCannotJudgeSayWhatIsWrong() {
        client.resource(proxy("invalid-routes", "edge", tls("https", 8443))).create();
        client.resource(route("invalid-routes", "loop", "edge", BackendRef.address("127.0.0.1:8443"), "loop.example.com"))
                .create();

        assertThat(await().atMost(WAIT).until(() -> condition("invalid-routes", "loop", "Accepted"), c -> c != null))
                .satisfies(c -> invalid(c, "is the proxy's own listener 'https'"));
        String config = await().atMost(WAIT).until(
                () -> client.configMaps().inNamespace("invalid-routes").withName("edge-config").get(), cm -> cm != null)
                .getData().get("config.yaml");
        assertThat(config).contains("routes: []");
    }

    @Test
    void routeToAMissingProxyIsNotAcceptedUntilTheProxyExists() {
        client.resource(route("orphans", "r", "nowhere", BackendRef.address("10.0.0.1:443"), "x.example.com")).create();

        Condition c = await().atMost(WAIT).until(() -> condition("orphans", "r", "Accepted"), x -> x != null);
        assertThat(c.getStatus()).isEqualTo("False");
        assertThat(c.getReason()).isEqualTo("NoMatchingParent");
        assertThat(c.getMessage()).isEqualTo("SniProxy orphans/nowhere does not exist");

        client.resource(proxy("orphans", "nowhere", tls("https", 8443))).create();
        await().atMost(WAIT).until(() -> condition("orphans", "r", "Programmed"), x -> x != null && "True".equals(x.getStatus()));
        assertThat(condition("orphans", "r", "Accepted").getStatus()).isEqualTo("True");
    }

    @Test
    void serviceBackendIsResolvedInTheRoutesNamespace() {
        client.resource(proxy("svc", "edge", tls("https", 8443))).create();
        client.resource(route("svc", "api", "edge", BackendRef.service("api", 8443), "api.example.com")).create();

        Condition missing = await().atMost(WAIT).until(() -> condition("svc", "api", "Accepted"), x -> x != null);
        assertThat(missing.getReason()).isEqualTo("BackendNotFound");
        assertThat(missing.getMessage()).isEqualTo("spec.backend.service: Service svc/api does not exist");

        client.resource(new ServiceBuilder().withNewMetadata().withNamespace("svc").withName("api").endMetadata()
                .withNewSpec().addNewPort().withPort(8443).endPort().endSpec().build()).create();
        // No nudge and no 30 s poll: the Service informers see it appear and re-run both reconcilers.
        await().atMost(Duration.ofSeconds(10)).until(() -> condition("svc", "api", "Programmed"), x -> x != null && "True".equals(x.getStatus()));
        SniRoute done = client.resources(SniRoute.class).inNamespace("svc").withName("api").get();
        assertThat(done.getStatus().backend).isEqualTo("api.svc.svc.cluster.local:8443");
        assertThat(done.getStatus().observedGeneration).isEqualTo(done.getMetadata().getGeneration());
    }

    @Test
    void routeWithoutProxyRefNameIsRefusedByTheServer() {
        SniRoute r = route("noref", "r", "x", BackendRef.address("10.0.0.1:443"), "x.example.com");
        r.getSpec().proxyRef = new SniRouteSpec.ProxyRef(null, null);

        assertThatThrownBy(() -> client.resource(r).create())
                .isInstanceOfSatisfying(KubernetesClientException.class, e -> {
                    assertThat(e.getCode()).isEqualTo(422);
                    assertThat(e.getStatus().getDetails().getCauses()).extracting(c -> c.getField())
                            .containsExactly("spec.proxyRef.name");
                });
    }

    private static void invalid(Condition c, String messagePart) {
        assertThat(c.getStatus()).isEqualTo("False");
        assertThat(c.getReason()).isEqualTo("Invalid");
        assertThat(c.getMessage()).contains(messagePart);
    }

    private Condition condition(String ns, String name, String type) {
        SniRoute r = client.resources(SniRoute.class).inNamespace(ns).withName(name).get();
        if (r == null || r.getStatus() == null) {
            return null;
        }
        return Conditions.find(r.getStatus().conditions, type).orElse(null);
    }
}
