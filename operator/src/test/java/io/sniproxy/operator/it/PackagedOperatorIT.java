package io.sniproxy.operator.it;

import static io.sniproxy.operator.testing.Resources.proxy;
import static io.sniproxy.operator.testing.Resources.route;
import static io.sniproxy.operator.testing.Resources.tls;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.quarkus.test.junit.QuarkusIntegrationTest;
import io.quarkus.test.junit.QuarkusTestProfile;
import io.quarkus.test.junit.TestProfile;
import io.quarkus.test.common.WithTestResource;
import io.sniproxy.config.ConfigReader;
import io.sniproxy.operator.api.SniProxy;
import io.sniproxy.operator.api.SniRoute;
import io.sniproxy.operator.api.SniRouteSpec.BackendRef;
import io.sniproxy.operator.testing.ControlPlane;
import io.sniproxy.operator.testing.RealApiServer;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The packaged fast-jar ({@code java -jar target/quarkus-app/quarkus-run.jar}, prod profile) against
 * the real control plane with deploy/install.yaml applied, as its ServiceAccount: it starts, finds its
 * CRDs (it refuses to run without them) and reconciles with only the manifest's RBAC.
 */
@QuarkusIntegrationTest
@WithTestResource(RealApiServer.class)
@TestProfile(PackagedOperatorIT.LoopbackManagement.class)
class PackagedOperatorIT {

    /** The packaged app runs its prod profile: management on loopback and a free port. */
    public static class LoopbackManagement implements QuarkusTestProfile {
        @Override
        public Map<String, String> getConfigOverrides() {
            return Map.of("quarkus.management.host", "127.0.0.1", "quarkus.management.port", "0",
                    // Quarkus keeps this app running while the other ITs run their own operators:
                    // keep it to its namespace and its own Lease, so they do not meet.
                    "quarkus.operator-sdk.namespaces", "it",
                    "sniproxy.operator.leader-election.lease-name", "sniproxy-operator-packaged-it");
        }
    }

    static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void packagedOperatorReconcilesAProxyAndItsRoutes() throws Exception {
        KubernetesClient client = ControlPlane.get().admin();
        ControlPlane.get().namespace("it");
        client.resource(proxy("it", "edge", tls("https", 8443))).create();
        client.resource(route("it", "api", "edge", BackendRef.address("10.0.0.5:8443"), "api.example.com")).create();

        ConfigMap cm = await().atMost(WAIT).until(() -> client.configMaps().inNamespace("it").withName("edge-config").get(),
                c -> c != null && c.getData().get("config.yaml").contains("api.example.com"));
        assertThat(ConfigReader.read("configmap", cm.getData().get("config.yaml")).routes()).hasSize(1);
        var deployment = await().atMost(WAIT).until(
                () -> client.apps().deployments().inNamespace("it").withName("edge").get(), d -> d != null);
        assertThat(deployment.getSpec().getTemplate().getSpec().getContainers().get(0).getImage())
                .isEqualTo("sniproxy/proxy:" + System.getProperty("sniproxy.version"));
        await().atMost(WAIT).until(() -> client.services().inNamespace("it").withName("edge").get() != null);
        await().atMost(WAIT).until(() -> {
            SniRoute r = client.resources(SniRoute.class).inNamespace("it").withName("api").get();
            return r.getStatus() != null && r.getStatus().conditions.stream()
                    .anyMatch(c -> c.getType().equals("Programmed") && c.getStatus().equals("True"));
        });
        SniProxy p = client.resources(SniProxy.class).inNamespace("it").withName("edge").get();
        assertThat(p.getStatus().configHash).isEqualTo(cm.getMetadata().getAnnotations().get("sniproxy.io/config-hash"));
    }
}
