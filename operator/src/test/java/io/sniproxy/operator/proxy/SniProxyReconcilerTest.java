package io.sniproxy.operator.proxy;

import static io.sniproxy.operator.testing.Resources.proxy;
import static io.sniproxy.operator.testing.Resources.route;
import static io.sniproxy.operator.testing.Resources.tls;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.OwnerReference;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.apps.Deployment;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.common.WithTestResource;
import io.sniproxy.operator.testing.ControlPlane;
import io.sniproxy.operator.testing.Edits;
import io.sniproxy.operator.testing.RealApiServer;
import io.sniproxy.config.ConfigReader;
import io.sniproxy.config.ProxyConfig;
import io.sniproxy.operator.api.ListenerProtocol;
import io.sniproxy.operator.api.ListenerSpec;
import io.sniproxy.operator.api.SniProxy;
import io.sniproxy.operator.api.SniProxyStatus;
import io.sniproxy.operator.api.SniRoute;
import io.sniproxy.operator.api.SniRouteSpec.BackendRef;
import io.sniproxy.operator.support.Conditions;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The SniProxy reconciler against the Fabric8 mock API server (CRUD mode). Each test has its own namespace. */
@QuarkusTest
@WithTestResource(RealApiServer.class)
class SniProxyReconcilerTest {

    static final Duration WAIT = Duration.ofSeconds(20);

    /**

     * The garbage collector learns of a kind created after it started (our CRDs, applied once the

     * control plane is up) at its next discovery resync, every 30 s in kube-controller-manager; until

     * then a deleted SniProxy's dependents wait. Only the first test of a fresh control plane sees it.

     */

    static final Duration GC_WAIT = Duration.ofSeconds(60);

    /** The tests act as a cluster admin; the operator runs with its own RBAC. */
    final KubernetesClient client = ControlPlane.get().admin();

    @BeforeAll
    static void namespaces() {
        ControlPlane.get().namespace("create");
        ControlPlane.get().namespace("roll");
        ControlPlane.get().namespace("handedit");
        ControlPlane.get().namespace("handedit-deploy");
        ControlPlane.get().namespace("move");
        ControlPlane.get().namespace("invalid");
        ControlPlane.get().namespace("delete");
    }

    @Test
    void createdProxyGetsConfigDeploymentServiceAndStatus() throws Exception {
        String ns = "create";
        SniProxy p = proxy(ns, "edge", tls("https", 8443), new ListenerSpec("h3", 8443, ListenerProtocol.QUIC));
        p.getSpec().replicas = 3;
        client.resource(p).create();
        client.resource(route(ns, "api", "edge", BackendRef.address("10.0.0.5:8443"), "api.example.com")).create();
        client.resource(route(ns, "wild", "edge", BackendRef.address("10.0.0.6:443"), "*.example.org")).create();

        ConfigMap cm = await().atMost(WAIT).until(() -> configMap(ns, "edge"),
                c -> c != null && c.getData().get("config.yaml").contains("*.example.org"));
        ProxyConfig config = ConfigReader.read("configmap", cm.getData().get("config.yaml"));
        assertThat(config.routes()).extracting(r -> r.hostnames() + "->" + r.backends().get(0))
                .containsExactly("[*.example.org]->10.0.0.6:443", "[api.example.com]->10.0.0.5:8443");
        assertThat(cm.getData().get("config.yaml")).contains("connectionPool:\n  enabled: false");

        Deployment d = await().atMost(WAIT).until(() -> deployment(ns, "edge"), x -> x != null);
        assertThat(d.getSpec().getReplicas()).isEqualTo(3);
        assertThat(d.getSpec().getStrategy().getRollingUpdate().getMaxUnavailable().getIntVal()).isZero();
        assertThat(d.getSpec().getTemplate().getMetadata().getAnnotations())
                .containsEntry(ProxyLabels.CONFIG_HASH_ANNOTATION, cm.getMetadata().getAnnotations()
                        .get(ProxyLabels.CONFIG_HASH_ANNOTATION));
        assertThat(d.getSpec().getTemplate().getSpec().getTerminationGracePeriodSeconds())
                .isGreaterThanOrEqualTo(config.timeouts().drain().toSeconds());
        Container c = d.getSpec().getTemplate().getSpec().getContainers().get(0);
        assertThat(c.getImage()).startsWith("sniproxy/proxy:");
        assertThat(c.getReadinessProbe().getHttpGet().getPath()).isEqualTo("/q/health/ready");
        assertThat(c.getReadinessProbe().getHttpGet().getPort().getStrVal()).isEqualTo("management");
        assertThat(c.getPorts()).extracting(port -> port.getName() + "/" + port.getContainerPort() + "/" + port.getProtocol())
                .containsExactly("h3/8443/UDP", "https/8443/TCP", "management/9000/TCP");
        assertThat(c.getSecurityContext().getReadOnlyRootFilesystem()).isTrue();
        assertThat(c.getSecurityContext().getCapabilities().getDrop()).containsExactly("ALL");
        assertThat(d.getSpec().getTemplate().getSpec().getSecurityContext().getRunAsNonRoot()).isTrue();

        Service svc = await().atMost(WAIT).until(() -> service(ns, "edge"), x -> x != null);
        assertThat(svc.getSpec().getPorts()).extracting(port -> port.getName() + "/" + port.getPort() + "/" + port.getProtocol())
                .containsExactly("h3/8443/UDP", "https/8443/TCP");

        SniProxy done = await().atMost(WAIT).until(() -> get(ns, "edge"),
                x -> x.getStatus() != null && x.getStatus().routes.size() == 2);
        assertThat(done.getStatus().observedGeneration).isEqualTo(done.getMetadata().getGeneration());
        assertThat(done.getStatus().configHash).isEqualTo(cm.getMetadata().getAnnotations().get(ProxyLabels.CONFIG_HASH_ANNOTATION));
        assertThat(Conditions.find(done.getStatus().conditions, "ConfigValid").orElseThrow().getStatus()).isEqualTo("True");
        assertThat(Conditions.find(done.getStatus().conditions, "PoolingDisabled").orElseThrow().getStatus()).isEqualTo("True");
        // No node runs these pods: no rollout completes, so the fleet is not Ready (pods not ready, or
        // stuck rolling to the template with both routes, since maxUnavailable is 0).
        assertThat(Conditions.find(done.getStatus().conditions, "Ready").orElseThrow())
                .satisfies(r -> assertThat(r.getStatus()).isEqualTo("False"))
                .satisfies(r -> assertThat(r.getReason()).isIn("PodsNotReady", "RollingOut", "RolloutPending"));
        assertThat(Conditions.find(done.getStatus().conditions, "FdHealthy").orElseThrow().getStatus()).isEqualTo("Unknown");
        for (var cond : done.getStatus().conditions) {
            assertThat(cond.getLastTransitionTime()).isNotBlank();
            assertThat(cond.getObservedGeneration()).isEqualTo(done.getMetadata().getGeneration());
        }

        for (HasMetadata owned : List.of(cm, d, svc)) {
            assertThat(owned.getMetadata().getOwnerReferences()).singleElement().satisfies(ref -> isOwnedBy(ref, done));
        }

        // One ConfigRendered Event per config, not one per pass that still saw the old status.
        List<String> rendered = client.v1().events().inNamespace(ns).list().getItems().stream()
                .filter(e -> e.getReason().equals("ConfigRendered"))
                .map(e -> e.getMessage().split(" ")[1])
                .toList();
        assertThat(rendered).contains(done.getStatus().configHash).doesNotHaveDuplicates();
    }

    @Test
    void changedRouteRollsThePodsAndNothingElseDoes() {
        String ns = "roll";
        client.resource(proxy(ns, "edge", tls("https", 8443))).create();
        client.resource(route(ns, "api", "edge", BackendRef.address("10.0.0.5:8443"), "api.example.com")).create();
        Deployment first = await().atMost(WAIT).until(() -> deployment(ns, "edge"),
                d -> d != null && get(ns, "edge").getStatus() != null && get(ns, "edge").getStatus().routes.size() == 1);
        String hash1 = podHash(first);

        // Steady state: once the Deployment controller has settled the rollout's status, the operator
        // writes nothing at all (the API server's audit log of its user), not even a no-op update.
        await().atMost(WAIT).until(() -> quietFor(Duration.ofSeconds(2)));
        // A change that the proxy does not read triggers reconciles that must write nothing either.
        Instant labelled = Instant.now();
        Edits.edit(client, SniRoute.class, ns, "api", x -> {
            x.getMetadata().setLabels(java.util.Map.of("team", "payments"));
            return x;
        });
        await().during(Duration.ofSeconds(3)).atMost(WAIT).until(() -> operatorWritesSince(labelled).isEmpty());

        // A real change: new backend → new hash → new pod template.
        Edits.edit(client, SniRoute.class, ns, "api", x -> {
            x.getSpec().backend = BackendRef.address("10.0.0.7:8443");
            return x;
        });
        Deployment second = await().atMost(WAIT).until(() -> deployment(ns, "edge"), d -> !podHash(d).equals(hash1));
        assertThat(configMap(ns, "edge").getData().get("config.yaml")).contains("10.0.0.7:8443").doesNotContain("10.0.0.5");
        assertThat(podHash(second)).isEqualTo(await().atMost(WAIT).until(() -> status(ns, "edge"),
                st -> st != null && podHash(second).equals(st.configHash)).configHash);
    }

    @Test
    void handEditOfTheConfigMapIsReverted() {
        String ns = "handedit";
        client.resource(proxy(ns, "edge", tls("https", 8443))).create();
        client.resource(route(ns, "api", "edge", BackendRef.address("10.0.0.5:8443"), "api.example.com")).create();
        ConfigMap cm = await().atMost(WAIT).until(() -> configMap(ns, "edge"),
                c -> c != null && c.getData().get("config.yaml").contains("api.example.com"));
        String rendered = cm.getData().get("config.yaml");

        Edits.edit(client, ConfigMap.class, ns, "edge-config", x -> {
            x.getData().put("config.yaml", rendered.replace("enabled: false", "enabled: true"));
            return x;
        });

        await().atMost(WAIT).until(() -> configMap(ns, "edge").getData().get("config.yaml").equals(rendered));
    }

    @Test
    void handEditOfTheDeploymentIsReverted() {
        String ns = "handedit-deploy";
        client.resource(proxy(ns, "edge", tls("https", 8443))).create();
        Deployment d = await().atMost(WAIT).until(() -> deployment(ns, "edge"), x -> x != null);
        String image = d.getSpec().getTemplate().getSpec().getContainers().get(0).getImage();

        // As `kubectl edit` would (another field manager); a patch, so the controllers' concurrent status
        // writes cannot make it conflict.
        client.apps().deployments().inNamespace(ns).withName("edge").patch(
                PatchContext.of(PatchType.STRATEGIC_MERGE), """
                {"spec": {"replicas": 7, "template": {"spec": {"containers": [
                  {"name": "proxy", "image": "evil/proxy:latest"}]}}}}""");

        await().atMost(WAIT).until(() -> deployment(ns, "edge"), x -> x.getSpec().getReplicas() == 2
                && x.getSpec().getTemplate().getSpec().getContainers().get(0).getImage().equals(image));
    }

    @Test
    void routeMovedToAnotherProxyLeavesTheOldOneAndJoinsTheNew() {
        String ns = "move";
        client.resource(proxy(ns, "blue", tls("https", 8443))).create();
        client.resource(proxy(ns, "green", tls("https", 8443))).create();
        client.resource(route(ns, "api", "blue", BackendRef.address("10.0.0.5:8443"), "api.example.com")).create();
        await().atMost(WAIT).until(() -> configMap(ns, "blue"),
                c -> c != null && c.getData().get("config.yaml").contains("api.example.com"));
        await().atMost(WAIT).until(() -> status(ns, "blue"), st -> st != null && st.routes.size() == 1);

        Edits.edit(client, SniRoute.class, ns, "api", x -> {
            x.getSpec().proxyRef.name = "green";
            return x;
        });

        await().atMost(WAIT).until(() -> configMap(ns, "green"),
                c -> c != null && c.getData().get("config.yaml").contains("api.example.com"));
        await().atMost(WAIT).until(() -> configMap(ns, "blue").getData().get("config.yaml").contains("routes: []"));
        await().atMost(WAIT).until(() -> status(ns, "blue"), st -> st != null && st.routes.isEmpty());
    }

    @Test
    void invalidSpecKeepsTheConfigInForceAndSaysWhy() {
        String ns = "invalid";
        client.resource(proxy(ns, "edge", tls("https", 8443))).create();
        client.resource(route(ns, "api", "edge", BackendRef.address("10.0.0.5:8443"), "api.example.com")).create();
        String good = await().atMost(WAIT).until(() -> configMap(ns, "edge"),
                c -> c != null && c.getData().get("config.yaml").contains("api.example.com")).getData().get("config.yaml");

        // Two listeners on one port: a CEL rule refuses this from Kubernetes 1.25 on; on 1.20 the
        // operator's own validation is the line of defence.
        Edits.edit(client, SniProxy.class, ns, "edge", x -> {
            x.getSpec().listeners = List.of(tls("https", 8443), tls("again", 8443));
            return x;
        });

        SniProxy bad = await().atMost(WAIT).until(() -> get(ns, "edge"),
                x -> x.getStatus() != null && !Conditions.isTrue(x.getStatus().conditions, "ConfigValid"));
        assertThat(Conditions.find(bad.getStatus().conditions, "ConfigValid").orElseThrow().getMessage())
                .contains("spec.listeners[1].port: tcp/8443 is already used by spec.listeners[0]")
                .contains("stays in force");
        assertThat(configMap(ns, "edge").getData().get("config.yaml")).isEqualTo(good);
        assertThat(client.v1().events().inNamespace(ns).list().getItems())
                .anySatisfy(e -> assertThat(e.getReason()).isEqualTo("InvalidSpec"));
    }

    @Test
    void deletedProxyLeavesCleanupToTheGarbageCollectorThroughOwnerReferences() {
        String ns = "delete";
        client.resource(proxy(ns, "edge", tls("https", 8443))).create();
        await().atMost(WAIT).until(() -> deployment(ns, "edge") != null && service(ns, "edge") != null
                && configMap(ns, "edge") != null);
        SniProxy p = get(ns, "edge");
        for (HasMetadata owned : List.of(configMap(ns, "edge"), deployment(ns, "edge"), service(ns, "edge"))) {
            assertThat(owned.getMetadata().getOwnerReferences()).singleElement().satisfies(ref -> isOwnedBy(ref, p));
        }
        assertThat(p.getMetadata().getFinalizers()).as("no finalizer: deletion needs no operator").isNullOrEmpty();

        client.resource(p).delete();

        // The garbage collector (kube-controller-manager) deletes what the owner references name; the
        // operator must not recreate any of it.
        await().atMost(GC_WAIT).until(() -> get(ns, "edge") == null && deployment(ns, "edge") == null
                && service(ns, "edge") == null && configMap(ns, "edge") == null);
        await().during(Duration.ofSeconds(2)).atMost(WAIT).until(() -> deployment(ns, "edge") == null
                && service(ns, "edge") == null && configMap(ns, "edge") == null);
    }

    /** True when the operator made no write in the last {@code window} (checked by looking back). */
    static boolean quietFor(Duration window) {
        return operatorWritesSince(Instant.now().minus(window)).isEmpty()
                && Instant.now().isAfter(STARTED.plus(window));
    }

    static final Instant STARTED = Instant.now();

    static List<String> operatorWritesSince(Instant since) {
        return ControlPlane.get().writesBy(ControlPlane.OPERATOR_USER, since);
    }

    static void isOwnedBy(OwnerReference ref, SniProxy p) {
        assertThat(ref.getController()).as("a controller reference: kubectl describe shows Controlled By").isTrue();
        assertThat(ref.getBlockOwnerDeletion()).isTrue();
        assertThat(ref.getKind()).isEqualTo("SniProxy");
        assertThat(ref.getName()).isEqualTo(p.getMetadata().getName());
        assertThat(ref.getUid()).isEqualTo(p.getMetadata().getUid());
    }

    static String podHash(Deployment d) {
        return d.getSpec().getTemplate().getMetadata().getAnnotations().get(ProxyLabels.CONFIG_HASH_ANNOTATION);
    }

    SniProxy get(String ns, String name) {
        return client.resources(SniProxy.class).inNamespace(ns).withName(name).get();
    }

    /** The proxy's status, or null while it has none yet (the first status write may not have landed). */
    SniProxyStatus status(String ns, String name) {
        SniProxy p = get(ns, name);
        return p == null ? null : p.getStatus();
    }

    ConfigMap configMap(String ns, String proxy) {
        return client.configMaps().inNamespace(ns).withName(proxy + "-config").get();
    }

    Deployment deployment(String ns, String name) {
        return client.apps().deployments().inNamespace(ns).withName(name).get();
    }

    Service service(String ns, String name) {
        return client.services().inNamespace(ns).withName(name).get();
    }
}
