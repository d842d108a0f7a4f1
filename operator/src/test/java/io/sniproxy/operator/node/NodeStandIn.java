package io.sniproxy.operator.node;

import io.fabric8.kubernetes.api.model.ConfigMap;
import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EnvVar;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodIPBuilder;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.Volume;
import io.fabric8.kubernetes.api.model.VolumeMount;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.sniproxy.operator.proxy.ProxyLabels;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.jar.Attributes;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.jar.Manifest;

/**
 * TEST CODE standing in for a node (kubelet + CNI) on the real control plane, for the proxy's pods
 * only: it binds pending proxy pods to its Node, runs the <em>packaged</em> proxy for each
 * ({@code bin/sniproxy}, as the image's entrypoint does) in the pod's own network namespace
 * ({@link PodNetwork}) with the pod's env, mounts the ConfigMap volume as the kubelet does (files
 * behind a {@code ..data} symlink that is swapped atomically on update), reports
 * {@code status.podIP} and {@code Ready} from the proxy's real {@code /q/health/ready}, and on
 * deletion sends SIGTERM and waits up to {@code terminationGracePeriodSeconds}.
 *
 * <p>What it does not do: images (every pod runs this checkout's proxy), cgroups/limits, probes other
 * than readiness, restarts. Before SIGTERM it waits (up to 5 s) until the pod has left its Service's
 * Endpoints, as clusters do with a preStop delay so that kube-proxy forgets a pod before it stops
 * accepting; there is no kube-proxy here, clients pick a Ready address from the Endpoints themselves.
 */
public final class NodeStandIn implements AutoCloseable {

    public static final String NODE = "sniproxy-stand-in-node";
    private static final Duration PROBE_EVERY = Duration.ofMillis(500);

    private final KubernetesClient client;
    private final Path root;
    private final Path launcher;
    private final PodNetwork network;
    private final Path leakAgent;
    /** Only pods of this namespace, or of all when null. */
    private final String namespace;
    /** The proxy image's own environment (its Dockerfile's ENV lines); the pod's env comes on top. */
    private final Map<String, String> imageEnv;
    private final Map<String, RunningPod> running = new ConcurrentHashMap<>();
    private final ExecutorService node = Executors.newSingleThreadExecutor(r -> daemon(r, "stand-in-node"));
    private final ExecutorService stoppers = Executors.newCachedThreadPool(r -> daemon(r, "stand-in-stop"));
    private final ScheduledExecutorService prober = Executors.newSingleThreadScheduledExecutor(r -> daemon(r, "stand-in-probe"));
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build();
    private SharedIndexInformer<Pod> pods;
    private SharedIndexInformer<ConfigMap> configMaps;
    private boolean closed;

    /** A pod this node runs: its sandbox, its mounted config volume, its proxy process. */
    private record RunningPod(String namespace, String name, String uid, PodNetwork.Sandbox sandbox, Path dir,
            String configMap, Process process, int managementPort, boolean[] ready) {
    }

    /**
     * @param repo the checkout: {@code bin/sniproxy} and the built {@code proxy/target/quarkus-app}
     * @param root where pod directories (mounted volumes, logs) go
     */
    /** A node for the proxy pods of one namespace (tests: other tests' fleets are not started). */
    public NodeStandIn(KubernetesClient client, Path repo, Path root, String namespace) throws IOException {
        this(client, repo, root, new PodNetwork(), namespace);
    }

    NodeStandIn(KubernetesClient client, Path repo, Path root, PodNetwork network, String namespace) throws IOException {
        this.client = client;
        this.namespace = namespace;
        this.root = Files.createDirectories(root);
        this.launcher = repo.resolve("bin/sniproxy");
        if (!Files.exists(repo.resolve("proxy/target/quarkus-app/quarkus-run.jar"))) {
            throw new IllegalStateException("no packaged proxy: build it first (./mvnw -B -pl proxy -am package -DskipTests)");
        }
        this.leakAgent = writeLeakAgent(root.resolve("leak-agent.jar"));
        this.imageEnv = imageEnv(repo.resolve("proxy/src/main/docker/Dockerfile.jvm"));
        this.network = network;
    }

    /** {@code ENV KEY=VALUE} lines of the image's Dockerfile. */
    static Map<String, String> imageEnv(Path dockerfile) throws IOException {
        Map<String, String> env = new HashMap<>();
        for (String line : Files.readAllLines(dockerfile)) {
            var m = java.util.regex.Pattern.compile("^ENV\\s+([A-Za-z_][A-Za-z0-9_]*)=(.*)$").matcher(line.strip());
            if (m.matches()) {
                env.put(m.group(1), m.group(2).replaceAll("^['\"]|['\"]$", ""));
            }
        }
        return env;
    }

    /**
     * Runs the stand-in until killed (bin/k8s-local-cluster.sh): {@code KUBECONFIG REPO DIR SUBNET}.
     * Pods get 10.250.SUBNET.i; the host is 10.250.SUBNET.254.
     */
    public static void main(String[] args) throws Exception {
        KubernetesClient client = io.sniproxy.operator.testing.ControlPlane.client(Path.of(args[0]));
        NodeStandIn node = new NodeStandIn(client, Path.of(args[1]), Path.of(args[2]),
                new PodNetwork(Integer.parseInt(args[3])), null).start();
        System.out.println("stand-in node " + NODE + " up; pods reach the host at " + node.hostAddress());
        Thread.currentThread().join();
    }

    /** The host's address as the pods see it: where test backends listen. */
    public String hostAddress() {
        return network.hostAddress();
    }

    public NodeStandIn start() {
        Node n = new NodeBuilder()
                .withNewMetadata().withName(NODE).addToLabels("kubernetes.io/hostname", NODE).endMetadata()
                .build();
        if (client.nodes().withName(NODE).get() == null) {
            client.resource(n).create();
        }
        Node created = client.nodes().withName(NODE).get();
        created.setStatus(new io.fabric8.kubernetes.api.model.NodeStatusBuilder()
                .addNewCondition().withType("Ready").withStatus("True").withReason("StandIn")
                    .withLastHeartbeatTime(Instant.now().toString()).endCondition()
                .addNewAddress().withType("InternalIP").withAddress(network.hostAddress()).endAddress()
                .build());
        client.resource(created).updateStatus();
        configMaps = (namespace == null ? client.configMaps().inAnyNamespace() : client.configMaps().inNamespace(namespace))
                .withLabel("app.kubernetes.io/managed-by", ProxyLabels.MANAGED_BY)
                .inform(handler(cm -> node.execute(() -> remount(cm))));
        pods = (namespace == null ? client.pods().inAnyNamespace() : client.pods().inNamespace(namespace))
                .withLabel("app.kubernetes.io/component", "proxy")
                .withLabel("app.kubernetes.io/managed-by", ProxyLabels.MANAGED_BY)
                .inform(handler(p -> node.execute(() -> onPod(p))));
        prober.scheduleWithFixedDelay(this::probeAll, 0, PROBE_EVERY.toMillis(), TimeUnit.MILLISECONDS);
        // Pods do not outlive their node: a stopped JVM takes its proxies and namespaces with it.
        Runtime.getRuntime().addShutdownHook(new Thread(this::close, "stand-in-close"));
        return this;
    }

    /** Makes the pod's proxy start leaking file descriptors (its {@link LeakAgent} hook). */
    public void startLeaking(String namespace, String pod) throws IOException {
        RunningPod p = running.values().stream()
                .filter(r -> r.namespace().equals(namespace) && r.name().equals(pod)).findFirst()
                .orElseThrow(() -> new IllegalArgumentException("not running here: " + namespace + "/" + pod));
        Files.writeString(p.dir().resolve("leak"), "on");
    }

    /** Names of the pods whose proxy process runs now. */
    public List<String> runningPods() {
        return running.values().stream().filter(r -> r.process().isAlive()).map(r -> r.namespace() + "/" + r.name())
                .sorted().toList();
    }

    private void onPod(Pod pod) {
        try {
            String uid = pod.getMetadata().getUid();
            if (pod.getMetadata().getDeletionTimestamp() != null) {
                RunningPod r = running.get(uid);
                if (r != null) {
                    stoppers.execute(() -> stop(r, pod));
                }
            } else if (pod.getSpec().getNodeName() == null) {
                bind(pod);
            } else if (NODE.equals(pod.getSpec().getNodeName()) && !running.containsKey(uid)
                    && pod.getStatus() != null && !"Running".equals(pod.getStatus().getPhase())) {
                run(pod);
            }
        } catch (IOException | RuntimeException e) {
            System.err.println("stand-in node: pod " + pod.getMetadata().getName() + ": " + e);
        }
    }

    /** What the scheduler would do: bind the pod to this node (pods/binding). */
    private void bind(Pod pod) {
        try {
            bindOnce(pod);
        } catch (KubernetesClientException e) {
            if (e.getCode() != 409) { // 409: already bound (an informer resync of the same pending pod)
                throw e;
            }
        }
    }

    private void bindOnce(Pod pod) {
        client.resource(new io.fabric8.kubernetes.api.model.BindingBuilder()
                        .withNewMetadata().withName(pod.getMetadata().getName())
                            .withNamespace(pod.getMetadata().getNamespace()).endMetadata()
                        .withNewTarget().withKind("Node").withApiVersion("v1").withName(NODE).endTarget()
                        .build())
                .create();
    }

    private void run(Pod pod) throws IOException {
        Container c = pod.getSpec().getContainers().get(0);
        Path dir = Files.createDirectories(root.resolve(pod.getMetadata().getNamespace() + "_" + pod.getMetadata().getName()));
        String configMap = null;
        Map<String, String> mounts = new HashMap<>();
        for (VolumeMount m : c.getVolumeMounts()) {
            Volume v = pod.getSpec().getVolumes().stream().filter(x -> x.getName().equals(m.getName())).findFirst().orElseThrow();
            Path host = Files.createDirectories(dir.resolve("volumes").resolve(m.getName()));
            mounts.put(m.getMountPath(), host.toString());
            if (v.getConfigMap() != null) {
                configMap = v.getConfigMap().getName();
                ConfigMap cm = client.configMaps().inNamespace(pod.getMetadata().getNamespace()).withName(configMap).get();
                if (cm == null) {
                    return; // the kubelet waits for the ConfigMap too; its creation event comes back here
                }
                project(host, cm.getData());
            }
        }
        PodNetwork.Sandbox sandbox = network.create();
        List<String> command = new ArrayList<>(List.of("ip", "netns", "exec", sandbox.namespace(), launcher.toString()));
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(dir.resolve("proxy.log").toFile());
        int managementPort = 9000;
        pb.environment().putAll(imageEnv);
        for (EnvVar e : c.getEnv()) {
            String value = e.getValue() == null ? "" : e.getValue();
            for (var m : mounts.entrySet()) {
                if (value.startsWith(m.getKey() + "/")) {
                    value = m.getValue() + value.substring(m.getKey().length());
                }
            }
            pb.environment().put(e.getName(), value);
            if (e.getName().equals("QUARKUS_MANAGEMENT_PORT")) {
                managementPort = Integer.parseInt(value);
            }
        }
        pb.environment().put("JAVA_OPTS", "-Xmx160m -javaagent:" + leakAgent + "=" + dir.resolve("leak"));
        Process process = pb.start();
        RunningPod r = new RunningPod(pod.getMetadata().getNamespace(), pod.getMetadata().getName(),
                pod.getMetadata().getUid(), sandbox, dir, configMap, process, managementPort, new boolean[1]);
        running.put(r.uid(), r);
        report(r, false);
    }

    /** The kubelet's ConfigMap volume: files under a timestamped dir, {@code ..data} swapped atomically. */
    static void project(Path volume, Map<String, String> data) throws IOException {
        Path version = Files.createDirectory(volume.resolve("..%d".formatted(System.nanoTime())));
        for (var e : data.entrySet()) {
            Files.writeString(version.resolve(e.getKey()), e.getValue());
        }
        Path dataLink = volume.resolve("..data");
        Path old = Files.isSymbolicLink(dataLink) ? volume.resolve(Files.readSymbolicLink(dataLink)) : null;
        Path tmp = volume.resolve("..data_tmp");
        Files.deleteIfExists(tmp);
        Files.createSymbolicLink(tmp, version.getFileName());
        Files.move(tmp, dataLink, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        for (String key : data.keySet()) {
            Path link = volume.resolve(key);
            if (!Files.isSymbolicLink(link)) {
                Files.createSymbolicLink(link, Path.of("..data").resolve(key));
            }
        }
        if (old != null && !old.equals(version)) {
            try (var files = Files.list(old)) {
                for (Path f : files.toList()) {
                    Files.delete(f);
                }
            }
            Files.delete(old);
        }
    }

    private void remount(ConfigMap cm) {
        // A pod bound before its ConfigMap existed waits for it, as the kubelet's volume mount does.
        if (pods != null) {
            pods.getStore().list().stream()
                    .filter(p -> p.getMetadata().getNamespace().equals(cm.getMetadata().getNamespace()))
                    .filter(p -> !running.containsKey(p.getMetadata().getUid()))
                    .forEach(this::onPod);
        }
        for (RunningPod r : running.values()) {
            if (r.namespace().equals(cm.getMetadata().getNamespace()) && cm.getMetadata().getName().equals(r.configMap())) {
                try {
                    project(r.dir().resolve("volumes/config"), cm.getData());
                } catch (IOException e) {
                    System.err.println("stand-in node: remount for " + r.name() + ": " + e);
                }
            }
        }
    }

    private void probeAll() {
        for (RunningPod r : running.values()) {
            boolean ready = r.process().isAlive() && probe(r);
            if (ready != r.ready()[0]) {
                try {
                    report(r, ready);
                    r.ready()[0] = ready;
                } catch (KubernetesClientException e) {
                    // The pod is gone or changed under us; the next probe tries again.
                }
            }
        }
    }

    private boolean probe(RunningPod r) {
        try {
            HttpResponse<Void> res = http.send(HttpRequest.newBuilder(
                    URI.create("http://" + r.sandbox().ip() + ":" + r.managementPort() + "/q/health/ready"))
                    .timeout(Duration.ofSeconds(1)).GET().build(), HttpResponse.BodyHandlers.discarding());
            return res.statusCode() == 200;
        } catch (IOException e) {
            return false;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return false;
        }
    }

    /** Writes the pod's status as a kubelet would: Running, its IP, Ready as probed. */
    private void report(RunningPod r, boolean ready) {
        String now = Instant.now().toString();
        String flag = ready ? "True" : "False";
        for (int attempt = 0; attempt < 5; attempt++) {
            Pod current = client.pods().inNamespace(r.namespace()).withName(r.name()).get();
            if (current == null || !Objects.equals(current.getMetadata().getUid(), r.uid())) {
                return;
            }
            PodStatus s = current.getStatus() == null ? new PodStatus() : current.getStatus();
            s.setPhase("Running");
            s.setHostIP(network.hostAddress());
            s.setPodIP(r.sandbox().ip());
            s.setPodIPs(List.of(new PodIPBuilder().withIp(r.sandbox().ip()).build()));
            if (s.getStartTime() == null) {
                s.setStartTime(now);
            }
            List<PodCondition> conditions = new ArrayList<>();
            for (String type : List.of("PodScheduled", "Initialized")) {
                conditions.add(new PodConditionBuilder().withType(type).withStatus("True").withLastTransitionTime(now).build());
            }
            for (String type : List.of("ContainersReady", "Ready")) {
                conditions.add(new PodConditionBuilder().withType(type).withStatus(flag).withLastTransitionTime(now).build());
            }
            s.setConditions(conditions);
            Container c = current.getSpec().getContainers().get(0);
            s.setContainerStatuses(List.of(new ContainerStatusBuilder()
                    .withName(c.getName()).withImage(c.getImage()).withImageID("stand-in://" + c.getImage())
                    .withReady(ready).withStarted(true).withRestartCount(0)
                    .withNewState().withNewRunning().withStartedAt(s.getStartTime()).endRunning().endState()
                    .build()));
            current.setStatus(s);
            try {
                client.resource(current).updateStatus();
                return;
            } catch (KubernetesClientException e) {
                if (e.getCode() != 409) {
                    throw e;
                }
            }
        }
    }

    /** Deletion: leave the Endpoints, SIGTERM, wait up to the grace period, SIGKILL, then let the pod go. */
    private void stop(RunningPod r, Pod pod) {
        if (running.remove(r.uid()) == null) {
            return;
        }
        long grace = pod.getSpec().getTerminationGracePeriodSeconds() == null ? 30
                : pod.getSpec().getTerminationGracePeriodSeconds();
        long until = System.nanoTime() + TimeUnit.SECONDS.toNanos(5);
        while (System.nanoTime() < until && listedInEndpoints(r)) {
            sleep(100);
        }
        r.process().destroy();
        try {
            if (!r.process().waitFor(grace, TimeUnit.SECONDS)) {
                r.process().destroyForcibly().waitFor(5, TimeUnit.SECONDS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            r.process().destroyForcibly();
        }
        network.delete(r.sandbox());
        try {
            client.pods().inNamespace(r.namespace()).withName(r.name()).withGracePeriod(0).delete();
        } catch (KubernetesClientException e) {
            // Already gone.
        }
    }

    private boolean listedInEndpoints(RunningPod r) {
        return client.endpoints().inNamespace(r.namespace()).list().getItems().stream()
                .flatMap(e -> e.getSubsets().stream())
                .flatMap(s -> s.getAddresses().stream())
                .anyMatch(a -> r.sandbox().ip().equals(a.getIp()));
    }

    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        if (pods != null) {
            pods.close();
        }
        if (configMaps != null) {
            configMaps.close();
        }
        prober.shutdownNow();
        node.shutdownNow();
        for (RunningPod r : running.values()) {
            r.process().destroy();
        }
        for (RunningPod r : running.values()) {
            try {
                if (!r.process().waitFor(10, TimeUnit.SECONDS)) {
                    r.process().destroyForcibly();
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                r.process().destroyForcibly();
            }
        }
        running.clear();
        stoppers.shutdownNow();
        http.close();
        network.close();
    }

    private static <T> ResourceEventHandler<T> handler(java.util.function.Consumer<T> on) {
        return new ResourceEventHandler<>() {
            @Override
            public void onAdd(T obj) {
                on.accept(obj);
            }

            @Override
            public void onUpdate(T oldObj, T newObj) {
                on.accept(newObj);
            }

            @Override
            public void onDelete(T obj, boolean deletedFinalStateUnknown) {
                // A pod deleted with grace 0 by someone else: its process is stopped at close().
            }
        };
    }

    /** The leak hook as a Java agent jar: the {@link LeakAgent} class from the test classes. */
    private static Path writeLeakAgent(Path jar) throws IOException {
        Manifest manifest = new Manifest();
        manifest.getMainAttributes().put(Attributes.Name.MANIFEST_VERSION, "1.0");
        manifest.getMainAttributes().putValue("Premain-Class", LeakAgent.class.getName());
        String entry = LeakAgent.class.getName().replace('.', '/') + ".class";
        try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar), manifest);
                var in = LeakAgent.class.getClassLoader().getResourceAsStream(entry)) {
            if (in == null) {
                throw new UncheckedIOException(new IOException("cannot find " + entry));
            }
            out.putNextEntry(new JarEntry(entry));
            in.transferTo(out);
            out.closeEntry();
        }
        return jar;
    }

    private static Thread daemon(Runnable r, String name) {
        Thread t = new Thread(r, name);
        t.setDaemon(true);
        return t;
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
