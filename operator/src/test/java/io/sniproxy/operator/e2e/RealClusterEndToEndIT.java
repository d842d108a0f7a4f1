package io.sniproxy.operator.e2e;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.EndpointAddress;
import io.fabric8.kubernetes.api.model.Endpoints;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.sniproxy.operator.api.SniProxy;
import io.sniproxy.operator.node.NodeStandIn;
import io.sniproxy.operator.support.Conditions;
import io.sniproxy.operator.testing.ControlPlane;
import io.sniproxy.proxy.testing.ProxyHarness;
import io.sniproxy.proxy.testing.TestCerts;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.MethodOrderer;
import org.junit.jupiter.api.Order;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestMethodOrder;

/**
 * End to end on the real control plane, as a user runs it: {@code kubectl apply} of
 * deploy/install.yaml, the packaged operator ({@code java -jar operator/target/quarkus-app/quarkus-run.jar})
 * with the manifest's identity and RBAC, a SniProxy and SniRoutes applied with kubectl, and proxy pods
 * run by the {@link NodeStandIn} (the packaged proxy, one network namespace per pod). Clients connect
 * the way kube-proxy would route them: to a pod listed Ready in the Service's Endpoints.
 * The tests build on each other (one fleet's life), in order.
 */
@TestMethodOrder(MethodOrderer.OrderAnnotation.class)
class RealClusterEndToEndIT {

    static final String NS = "e2e";
    static final Duration WATCHDOG_INTERVAL = Duration.ofSeconds(3);

    static ControlPlane cp;
    static KubernetesClient client;
    static NodeStandIn node;
    static Process operator;
    static TlsBackend blue;
    static TlsBackend green;
    static Path work;

    @BeforeAll
    static void cluster() throws Exception {
        cp = ControlPlane.get();
        client = cp.admin();
        work = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "e2e-");
        node = new NodeStandIn(client, ControlPlane.REPO, work.resolve("node"), NS).start();
        blue = new TlsBackend("blue", node.hostAddress());
        green = new TlsBackend("green", node.hostAddress());
    }

    @AfterAll
    static void stop() throws Exception {
        if (operator != null) {
            operator.destroy();
            if (!operator.waitFor(20, TimeUnit.SECONDS)) {
                operator.destroyForcibly();
            }
        }
        if (node != null) {
            node.close();
        }
        if (blue != null) {
            blue.close();
        }
        if (green != null) {
            green.close();
        }
    }

    @Test
    @Order(1)
    void installedOperatorRoutesTlsThroughAPodWithinSeconds() throws Exception {
        // As a user installs it: the manifest (CRDs carry CEL rules: --validate=false below 1.25), then
        // the packaged operator with the ServiceAccount's identity.
        cp.kubectl("apply", "--validate=false", "-f", ControlPlane.REPO.resolve("deploy/install.yaml").toString());
        operator = startOperator("operator-a");
        cp.namespace(NS);
        // The clock starts once the operator leads (a previous test's Lease may still have to expire).
        await().atMost(Duration.ofSeconds(90)).until(() -> {
            var lease = client.leases().inNamespace(ControlPlane.OPERATOR_NAMESPACE)
                    .withName(io.sniproxy.operator.OperatorLeaderElection.LEASE).get();
            return lease != null && "operator-a".equals(lease.getSpec().getHolderIdentity());
        });

        long t0 = System.nanoTime();
        cp.kubectl("apply", "-f", write("fleet.yaml", fleet(2) + route("api", blue.address())).toString());
        // Until a pod is Ready there is no endpoint to connect to (exchange throws): keep polling.
        String answer = await().atMost(Duration.ofSeconds(120)).pollInterval(Duration.ofMillis(200)).ignoreExceptions()
                .until(() -> exchangeViaReadyEndpoint("api.example.com"), a -> a.equals("blue:hello"));
        long routedMillis = (System.nanoTime() - t0) / 1_000_000;
        System.out.printf("E2E: kubectl apply -> TLS routed through a pod in %d ms%n", routedMillis);
        assertThat(answer).isEqualTo("blue:hello");
        assertThat(routedMillis).as("apply -> routed").isLessThan(60_000);
        await().atMost(Duration.ofSeconds(120)).until(() -> condition("Ready").map(c -> Conditions.TRUE.equals(c.getStatus())).orElse(false)
                && node.runningPods().size() == 2);
    }

    @Test
    @Order(2)
    void routeEditIsServedWithZeroFailedConnectionsThroughReadyEndpoints() throws Exception {
        String hashBefore = fleetStatus().configHash;
        AtomicBoolean running = new AtomicBoolean(true);
        AtomicInteger ok = new AtomicInteger();
        List<String> failures = new CopyOnWriteArrayList<>();
        List<String> answers = new CopyOnWriteArrayList<>();
        List<String> readyWhileRolling = new CopyOnWriteArrayList<>();
        Thread clientLoop = Thread.ofPlatform().name("e2e-client").start(() -> {
            while (running.get()) {
                try {
                    answers.add(exchangeViaReadyEndpoint("api.example.com"));
                    ok.incrementAndGet();
                } catch (IOException | RuntimeException e) {
                    failures.add(e.toString());
                }
            }
        });
        try {
            await().atMost(Duration.ofSeconds(10)).until(() -> ok.get() > 10);
            cp.kubectl("apply", "-f", write("route-green.yaml", route("api", green.address())).toString());
            // The design: a new config rolls the pods (readiness-gated, maxUnavailable 0, drain on SIGTERM).
            // Ready stays False until the rollout is complete, though old pods are ready all along.
            await().atMost(Duration.ofSeconds(180)).pollInterval(Duration.ofMillis(200)).until(() -> {
                condition("Ready").filter(c -> !Conditions.TRUE.equals(c.getStatus()))
                        .ifPresent(c -> readyWhileRolling.add(c.getReason()));
                return !fleetStatus().configHash.equals(hashBefore)
                    && condition("Ready").map(c -> Conditions.TRUE.equals(c.getStatus())).orElse(false)
                    && answers.subList(Math.max(0, answers.size() - 20), answers.size()).stream()
                            .allMatch("green:hello"::equals)
                    && node.runningPods().size() == 2;
            });
        } finally {
            running.set(false);
            clientLoop.join(30_000);
        }
        System.out.printf("E2E: rollout served %d connections, %d failed%n", ok.get(), failures.size());
        assertThat(failures).as("connections that failed during the rollout").isEmpty();
        assertThat(answers).contains("blue:hello", "green:hello");
        assertThat(readyWhileRolling).as("Ready=False reasons seen during the rollout").contains("RollingOut");
    }

    @Test
    @Order(3)
    void badRouteIsRefusedByTheServerWithTheFieldPaths() throws Exception {
        String bad = """
                apiVersion: sniproxy.io/v1alpha1
                kind: SniRoute
                metadata: {name: bad, namespace: e2e}
                spec:
                  proxyRef: {name: edge}
                  hostnames: ["under_score.example.com"]
                  backend: {address: "no-port"}
                """;
        ControlPlane.Result r = cp.kubectlAs(cp.adminKubeconfig(), "apply", "-f", write("bad.yaml", bad).toString());
        assertThat(r.exit()).isNotZero();
        assertThat(r.out()).contains("spec.hostnames").contains("spec.backend.address");
        assertThat(client.resources(io.sniproxy.operator.api.SniRoute.class).inNamespace(NS).withName("bad").get()).isNull();
    }

    @Test
    @Order(4)
    void handEditsAreReverted() throws Exception {
        cp.kubectl("-n", NS, "scale", "deployment/edge", "--replicas=4");
        cp.kubectl("-n", NS, "patch", "configmap/edge-config", "--type=merge", "-p", "{\"data\":{\"config.yaml\":\"listeners: []\\n\"}}");
        await().atMost(Duration.ofSeconds(30)).until(() -> client.apps().deployments().inNamespace(NS).withName("edge")
                .get().getSpec().getReplicas() == 2
                && client.configMaps().inNamespace(NS).withName("edge-config").get().getData().get("config.yaml")
                        .contains(green.address()));
        // Reverted means the two extra pods are gone too, not only the Deployment's spec: until the
        // ReplicaSet has deleted them they still run on the node.
        await().atMost(Duration.ofSeconds(60)).until(() -> settledPods().size() == 2);
    }

    @Test
    @Order(5)
    void anFdLeakInOnePodIsFoundByTheWatchdogWithinTwoIntervals() throws Exception {
        await().atMost(Duration.ofSeconds(60)).until(() -> condition("FdHealthy").map(c -> Conditions.TRUE.equals(c.getStatus())).orElse(false));
        // A pod the ReplicaSet is about to delete would take the leak with it: pick one that stays.
        String leaking = await().atMost(Duration.ofSeconds(60)).until(RealClusterEndToEndIT::settledPods, p -> p.size() == 2)
                .get(0).split("/")[1];
        long t0 = System.nanoTime();
        node.startLeaking(NS, leaking);

        double scrapesBefore = okScrapes();
        // The bound is generous (a loaded machine stretches every interval); what is asserted is how
        // many watchdog passes it took, counted by the operator itself.
        Condition fd = await().atMost(WATCHDOG_INTERVAL.multipliedBy(20)).pollInterval(Duration.ofMillis(200))
                .until(() -> condition("FdHealthy").orElse(null),
                        c -> c != null && c.getStatus().equals("False") && c.getReason().equals("FdLeakSuspected"));
        long foundMillis = (System.nanoTime() - t0) / 1_000_000;
        double passes = (okScrapes() - scrapesBefore) / node.runningPods().size();
        System.out.printf("E2E: fd leak found after %d ms, %.1f watchdog passes (interval %d ms, window 3 samples)%n",
                foundMillis, passes, WATCHDOG_INTERVAL.toMillis());
        assertThat(fd.getMessage()).contains("pod " + leaking);
        // Three samples make a window: the pass under way when the leak began (which may not see it),
        // then three that do; the status written by the last of them may trail by one more pass.
        assertThat(passes).as("watchdog passes from the leak's start until FdLeakSuspected").isLessThanOrEqualTo(5);
        await().atMost(Duration.ofSeconds(10)).until(() -> client.v1().events().inNamespace(NS).list().getItems().stream()
                .anyMatch(e -> e.getReason().equals("FdLeakSuspected") && e.getMessage().contains(leaking)));
    }

    @Test
    @Order(6)
    void deletingTheSniProxyGarbageCollectsEverything() throws Exception {
        cp.kubectl("-n", NS, "delete", "sniproxy", "edge");
        await().atMost(Duration.ofSeconds(90)).until(() -> client.apps().deployments().inNamespace(NS).withName("edge").get() == null
                && client.services().inNamespace(NS).withName("edge").get() == null
                && client.configMaps().inNamespace(NS).withName("edge-config").get() == null
                && client.pods().inNamespace(NS).list().getItems().isEmpty()
                && node.runningPods().isEmpty());
    }

    // --- helpers

    /** The management port of the operator started last. */
    static int operatorManagementPort;

    static Process startOperator(String name) throws IOException {
        Path jar = ControlPlane.REPO.resolve("operator/target/quarkus-app/quarkus-run.jar");
        ProcessBuilder pb = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-Xmx256m", "-jar", jar.toString())
                .redirectErrorStream(true).redirectOutput(work.resolve(name + ".log").toFile());
        pb.environment().put("KUBECONFIG", cp.operatorIdentity().kubeconfig().toString());
        pb.environment().put("HOSTNAME", name);
        pb.environment().put("QUARKUS_MANAGEMENT_HOST", "127.0.0.1");
        operatorManagementPort = ProxyHarness.freePort();
        pb.environment().put("QUARKUS_MANAGEMENT_PORT", Integer.toString(operatorManagementPort));
        pb.environment().put("SNIPROXY_OPERATOR_WATCHDOG_INTERVAL", WATCHDOG_INTERVAL.toSeconds() + "s");
        pb.environment().put("SNIPROXY_OPERATOR_LEADER_ELECTION_NAMESPACE", ControlPlane.OPERATOR_NAMESPACE);
        Process p = pb.start();
        // Never outlive the test JVM (a stopped build): the operator would retry a gone API server forever.
        Runtime.getRuntime().addShutdownHook(new Thread(p::destroyForcibly));
        return p;
    }

    /** The operator's own count of pod scrapes that gave a sample ({@code sniproxy_operator_watchdog_scrapes_total}). */
    static double okScrapes() throws IOException, InterruptedException {
        String text = java.net.http.HttpClient.newHttpClient().send(
                java.net.http.HttpRequest.newBuilder(java.net.URI.create(
                        "http://127.0.0.1:" + operatorManagementPort + "/q/metrics")).build(),
                java.net.http.HttpResponse.BodyHandlers.ofString()).body();
        return text.lines().filter(l -> l.startsWith("sniproxy_operator_watchdog_scrapes_total{") && l.contains("outcome=\"ok\""))
                .mapToDouble(l -> Double.parseDouble(l.substring(l.lastIndexOf(' ') + 1))).sum();
    }

    static String fleet(int replicas) {
        return """
                apiVersion: sniproxy.io/v1alpha1
                kind: SniProxy
                metadata: {name: edge, namespace: e2e}
                spec:
                  replicas: %d
                  listeners:
                    - {name: https, port: 8443, protocol: tls}
                  timeouts: {drain: 5s}
                  allowPrivateBackends: true   # the backends live on the stand-in node's host address
                  watchdog: {windowSamples: 3, leakGrowthFds: 30}
                ---
                """.formatted(replicas);
    }

    static String route(String name, String backend) {
        return """
                apiVersion: sniproxy.io/v1alpha1
                kind: SniRoute
                metadata: {name: %s, namespace: e2e}
                spec:
                  proxyRef: {name: edge}
                  hostnames: ["api.example.com"]
                  backend: {address: "%s"}
                """.formatted(name, backend);
    }

    static Path write(String file, String yaml) throws IOException {
        return Files.writeString(work.resolve(file), yaml);
    }

    static io.sniproxy.operator.api.SniProxyStatus fleetStatus() {
        SniProxy p = client.resources(SniProxy.class).inNamespace(NS).withName("edge").get();
        return p == null || p.getStatus() == null ? new io.sniproxy.operator.api.SniProxyStatus() : p.getStatus();
    }

    static java.util.Optional<Condition> condition(String type) {
        return Conditions.find(fleetStatus().conditions, type);
    }

    /**
     * The pods running on the node when that is exactly the fleet's pods the API server keeps (none
     * being deleted, none still to start); empty while the two disagree.
     */
    static List<String> settledPods() {
        List<String> kept = client.pods().inNamespace(NS).withLabel("app.kubernetes.io/component", "proxy").list()
                .getItems().stream().filter(p -> p.getMetadata().getDeletionTimestamp() == null)
                .map(p -> NS + "/" + p.getMetadata().getName()).sorted().toList();
        List<String> running = node.runningPods();
        return running.equals(kept) ? running : List.of();
    }

    static final AtomicInteger NEXT = new AtomicInteger();

    /** One TLS session with SNI to a pod listed Ready in the Service's Endpoints, round robin. */
    static String exchangeViaReadyEndpoint(String sni) throws IOException {
        Endpoints ep = client.endpoints().inNamespace(NS).withName("edge").get();
        List<String> ready = new ArrayList<>();
        if (ep != null) {
            ep.getSubsets().forEach(s -> s.getAddresses().stream().map(EndpointAddress::getIp).forEach(ready::add));
        }
        if (ready.isEmpty()) {
            throw new IllegalStateException("no Ready endpoint");
        }
        String ip = ready.get(Math.floorMod(NEXT.getAndIncrement(), ready.size()));
        try (SSLSocket s = (SSLSocket) TestCerts.clientContext().getSocketFactory().createSocket(ip, 8443)) {
            s.setSoTimeout(10_000);
            SSLParameters params = s.getSSLParameters();
            params.setServerNames(List.of(new SNIHostName(sni)));
            s.setSSLParameters(params);
            s.startHandshake();
            s.getOutputStream().write("hello\n".getBytes(StandardCharsets.UTF_8));
            s.getOutputStream().flush();
            return new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8)).readLine();
        }
    }
}
