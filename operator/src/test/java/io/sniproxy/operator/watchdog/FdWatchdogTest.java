package io.sniproxy.operator.watchdog;

import static io.sniproxy.operator.testing.Resources.proxy;
import static io.sniproxy.operator.testing.Resources.tls;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.micrometer.core.instrument.MeterRegistry;
import io.quarkus.test.junit.QuarkusTest;
import io.quarkus.test.common.WithTestResource;
import io.sniproxy.operator.testing.ControlPlane;
import io.sniproxy.operator.testing.RealApiServer;
import io.sniproxy.operator.api.SniProxy;
import io.sniproxy.operator.api.WatchdogSpec;
import io.sniproxy.operator.proxy.ProxyLabels;
import io.sniproxy.operator.support.Conditions;
import io.sniproxy.operator.testing.MetricsEndpoint;
import jakarta.inject.Inject;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The watchdog scraping real HTTP endpoints (one loopback address per "pod"), pass by pass. There is
 * no kubelet here: each test creates Pod objects and writes the IP and Ready condition a kubelet would
 * report into their status. The fleet's Deployment has 0 replicas so these are its only pods.
 */
@QuarkusTest
@WithTestResource(RealApiServer.class)
class FdWatchdogTest {

    static final Duration WAIT = Duration.ofSeconds(20);

    /** The tests act as a cluster admin; the operator runs with its own RBAC. */
    final KubernetesClient client = ControlPlane.get().admin();

    @Inject
    FdWatchdog watchdog;

    @Inject
    WatchdogState state;

    @Inject
    MeterRegistry registry;

    final List<MetricsEndpoint> endpoints = new java.util.ArrayList<>();

    @AfterEach
    void stopEndpoints() {
        endpoints.forEach(MetricsEndpoint::close);
    }

    @Test
    void healthyFleetIsFdHealthyAndPoolingDisabled() throws Exception {
        MetricsEndpoint a = endpoint("127.0.0.2", 0);
        endpoint("127.0.0.3", a.port());
        SniProxy p = fleet("healthy", a.port(), null, "127.0.0.2", "127.0.0.3");

        watchdog.runOnce();

        Condition fd = await().atMost(WAIT).until(() -> condition(p, "FdHealthy"), c -> c != null && c.getStatus().equals("True"));
        assertThat(fd.getReason()).isEqualTo("WithinLimits");
        assertThat(fd.getMessage()).startsWith("2 ready pod(s)");
        assertThat(condition(p, "PoolingDisabled").getStatus()).isEqualTo("True");
        assertThat(endpoints).allMatch(e -> e.scrapes() == 1);
    }

    @Test
    void steadyFdGrowthWithFlatConnectionsIsALeakAndTheWorstPodIsRestartedButNeverTheLastReady() throws Exception {
        MetricsEndpoint leaking = endpoint("127.0.0.4", 0);
        MetricsEndpoint fine = endpoint("127.0.0.5", leaking.port());
        WatchdogSpec w = new WatchdogSpec();
        w.windowSamples = 3;
        w.leakGrowthFds = 50;
        w.restartLeakingPods = true;
        SniProxy p = fleet("leak", leaking.port(), w, "127.0.0.4", "127.0.0.5");
        double restartsBefore = registry.counter("sniproxy.operator.watchdog.restarts").count();
        double leaksBefore = registry.counter("sniproxy.operator.watchdog.findings", "finding", "fd_leak").count();

        for (int pass = 0; pass < 3; pass++) {
            leaking.fds(200 + pass * 100, 1_048_576);
            watchdog.runOnce();
        }

        Condition fd = await().atMost(WAIT).until(() -> condition(p, "FdHealthy"),
                c -> c != null && c.getStatus().equals("False"));
        assertThat(fd.getReason()).isEqualTo("FdLeakSuspected");
        assertThat(fd.getMessage()).contains("pod leak-0").contains("rose from 200 to 400").doesNotContain("leak-1");
        assertThat(events("leak")).extracting(Event::getReason).contains("FdLeakSuspected", "RestartedLeakingPod");
        assertThat(client.pods().inNamespace("leak").withName("leak-0").get()).as("worst pod deleted").isNull();
        assertThat(client.pods().inNamespace("leak").withName("leak-1").get()).isNotNull();
        assertThat(registry.counter("sniproxy.operator.watchdog.restarts").count()).isEqualTo(restartsBefore + 1);
        assertThat(registry.counter("sniproxy.operator.watchdog.findings", "finding", "fd_leak").count())
                .isEqualTo(leaksBefore + 1);

        // Now the remaining pod leaks too; it is the last ready one, so it stays.
        for (int pass = 0; pass < 3; pass++) {
            fine.fds(300 + pass * 100, 1_048_576);
            watchdog.runOnce();
        }
        await().atMost(WAIT).until(() -> condition(p, "FdHealthy"), c -> c.getMessage().contains("pod leak-1"));
        assertThat(client.pods().inNamespace("leak").withName("leak-1").get()).isNotNull();
        assertThat(registry.counter("sniproxy.operator.watchdog.restarts").count()).isEqualTo(restartsBefore + 1);
    }

    @Test
    void fdGrowthMatchedByConnectionsIsNotALeakAndNothingIsRestarted() throws Exception {
        MetricsEndpoint busy = endpoint("127.0.0.6", 0);
        endpoint("127.0.0.7", busy.port());
        WatchdogSpec w = new WatchdogSpec();
        w.windowSamples = 3;
        w.leakGrowthFds = 50;
        w.restartLeakingPods = true;
        SniProxy p = fleet("busy", busy.port(), w, "127.0.0.6", "127.0.0.7");

        for (int pass = 0; pass < 3; pass++) {
            busy.fds(200 + pass * 100, 1_048_576).active(10 + pass * 50);
            watchdog.runOnce();
        }

        assertThat(await().atMost(WAIT).until(() -> condition(p, "FdHealthy"), c -> c != null).getStatus()).isEqualTo("True");
        assertThat(client.pods().inNamespace("busy").list().getItems()).hasSize(2);
    }

    @Test
    void openFdsPastTheHighWaterMarkAreReported() throws Exception {
        MetricsEndpoint full = endpoint("127.0.0.8", 0);
        SniProxy p = fleet("highwater", full.port(), null, "127.0.0.8");
        full.fds(900, 1000);

        watchdog.runOnce();

        Condition fd = await().atMost(WAIT).until(() -> condition(p, "FdHealthy"),
                c -> c != null && c.getStatus().equals("False"));
        assertThat(fd.getReason()).isEqualTo("FdHighWater");
        assertThat(fd.getMessage()).isEqualTo("pod highwater-0 has 900 of 1000 file descriptors open (90%, threshold 80%)");
        assertThat(events("highwater")).extracting(Event::getReason).containsOnlyOnce("FdHighWater");
        watchdog.runOnce();
        assertThat(events("highwater")).extracting(Event::getReason).as("no event while it persists")
                .containsOnlyOnce("FdHighWater");
    }

    @Test
    void poolingReportedByAPodFlipsPoolingDisabledAndRaisesAnEvent() throws Exception {
        MetricsEndpoint pooling = endpoint("127.0.0.9", 0);
        SniProxy p = fleet("pooling", pooling.port(), null, "127.0.0.9");
        pooling.poolSize(4);

        watchdog.runOnce();

        Condition c = await().atMost(WAIT).until(() -> condition(p, "PoolingDisabled"),
                x -> x != null && x.getStatus().equals("False"));
        assertThat(c.getReason()).isEqualTo("PoolingActive");
        assertThat(c.getMessage()).contains("pod pooling-0 reports sniproxy_pool_size=4");
        assertThat(events("pooling")).anySatisfy(e -> {
            assertThat(e.getReason()).isEqualTo("PoolingActive");
            assertThat(e.getType()).isEqualTo("Warning");
        });
    }

    @Test
    void unreachablePodMakesFdHealthUnknownAndNamesThePod() throws Exception {
        MetricsEndpoint up = endpoint("127.0.0.10", 0);
        // 127.0.0.11 has nothing listening: connection refused.
        SniProxy p = fleet("unreachable", up.port(), null, "127.0.0.10", "127.0.0.11");

        watchdog.runOnce();

        Condition fd = await().atMost(WAIT).until(() -> condition(p, "FdHealthy"),
                c -> c != null && c.getStatus().equals("Unknown") && c.getReason().equals("MetricsUnreachable"));
        assertThat(fd.getMessage()).startsWith("pod unreachable-1: http://127.0.0.11:" + up.port() + "/q/metrics unreachable");
        assertThat(events("unreachable")).extracting(Event::getReason).contains("MetricsUnreachable");
    }

    @Test
    void podsAreScrapedInParallelButNeverMoreThanTheBoundAtOnce() throws Exception {
        AtomicInteger inFlight = new AtomicInteger();
        AtomicInteger max = new AtomicInteger();
        MetricsEndpoint first = endpoint("127.0.0.13", 0).slow(400, inFlight, max);
        for (String ip : List.of("127.0.0.14", "127.0.0.15", "127.0.0.16", "127.0.0.17")) {
            endpoint(ip, first.port()).slow(400, inFlight, max);
        }
        SniProxy p = fleet("parallel", first.port(), null, "127.0.0.13", "127.0.0.14", "127.0.0.15", "127.0.0.16",
                "127.0.0.17");

        watchdog.runOnce();

        // %test sets scrape-parallelism=2: five slow pods, two at a time, never one by one.
        assertThat(max.get()).isEqualTo(2);
        assertThat(endpoints).allMatch(e -> e.scrapes() == 1);
        assertThat(await().atMost(WAIT).until(() -> condition(p, "FdHealthy"), c -> c != null && c.getStatus().equals("True"))
                .getMessage()).startsWith("5 ready pod(s)");
    }

    @Test
    void podsThatAreNotReadyAreNotScraped() throws Exception {
        MetricsEndpoint e = endpoint("127.0.0.12", 0);
        SniProxy p = fleet("notready", e.port(), null);
        create(pod("notready", p, "notready-0", "127.0.0.12", "False"));
        await().atMost(WAIT).until(() -> state.pods(p).size() == 1);

        watchdog.runOnce();

        Condition fd = await().atMost(WAIT).until(() -> condition(p, "FdHealthy"),
                c -> c != null && c.getReason().equals("NoReadyPods"));
        assertThat(fd.getStatus()).isEqualTo("Unknown");
        assertThat(e.scrapes()).isZero();
    }

    private MetricsEndpoint endpoint(String ip, int port) throws Exception {
        MetricsEndpoint e = new MetricsEndpoint(ip, port);
        endpoints.add(e);
        return e;
    }

    /** A SniProxy whose management port is the endpoints' port, and one Ready pod per IP. */
    private SniProxy fleet(String ns, int managementPort, WatchdogSpec watchdogSpec, String... podIps) {
        ControlPlane.get().namespace(ns);
        SniProxy p = proxy(ns, ns, tls("https", 8443));
        p.getSpec().replicas = 0;
        p.getSpec().managementPort = managementPort;
        p.getSpec().watchdog = watchdogSpec;
        SniProxy created = client.resource(p).create();
        for (int i = 0; i < podIps.length; i++) {
            create(pod(ns, created, ns + "-" + i, podIps[i], "True"));
        }
        await().atMost(WAIT).until(() -> condition(created, "ConfigValid") != null);
        // The watchdog reads pods from its informer: wait until it has seen these.
        await().atMost(WAIT).until(() -> watchdog.readyPods(created).size() == podIps.length);
        return created;
    }

    /** Creates the pod, then reports its status as a kubelet would (status is a subresource). */
    private void create(Pod pod) {
        var status = pod.getStatus();
        Pod created = client.resource(pod).create();
        created.setStatus(status);
        client.resource(created).updateStatus();
    }

    private static Pod pod(String ns, SniProxy p, String name, String ip, String ready) {
        return new PodBuilder()
                .withNewMetadata().withNamespace(ns).withName(name).withLabels(ProxyLabels.all(p)).endMetadata()
                .withNewSpec().addNewContainer().withName("proxy").withImage("sniproxy/proxy:test").endContainer().endSpec()
                .withNewStatus()
                    .withPodIP(ip)
                    .addNewCondition().withType("Ready").withStatus(ready).endCondition()
                .endStatus()
                .build();
    }

    private List<Event> events(String ns) {
        return client.v1().events().inNamespace(ns).list().getItems();
    }

    private Condition condition(SniProxy p, String type) {
        SniProxy now = client.resources(SniProxy.class).inNamespace(p.getMetadata().getNamespace())
                .withName(p.getMetadata().getName()).get();
        if (now == null || now.getStatus() == null) {
            return null;
        }
        return Conditions.find(now.getStatus().conditions, type).orElse(null);
    }
}
