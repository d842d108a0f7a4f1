package io.sniproxy.operator.testing;

import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.client.Config;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * The real Kubernetes control plane (etcd + kube-apiserver + kube-controller-manager 1.20.2 on
 * loopback) every real-server test runs against: one per test JVM, started on first use by
 * {@code bin/k8s-control-plane.sh} (the same script a person runs), stopped when the JVM ends.
 */
public final class ControlPlane {

    public static final Path REPO = Path.of("..").toAbsolutePath().normalize();
    /** The identity deploy/install.yaml gives the operator: its ServiceAccount's user name. */
    public static final String OPERATOR_NAMESPACE = "sniproxy-system";
    public static final String OPERATOR_USER = "system:serviceaccount:" + OPERATOR_NAMESPACE + ":sniproxy-operator";

    private static ControlPlane instance;

    private final Path dir;
    private final Path adminKubeconfig;
    private final KubernetesClient admin;
    private final long startMillis;

    private ControlPlane(Path dir) throws IOException, InterruptedException {
        this.dir = dir;
        long t0 = System.nanoTime();
        String out = script("up", dir.toString(), "--watch-pid", Long.toString(ProcessHandle.current().pid()));
        this.startMillis = (System.nanoTime() - t0) / 1_000_000;
        this.adminKubeconfig = Path.of(out.strip().replaceFirst("^export KUBECONFIG=", ""));
        this.admin = client(adminKubeconfig);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            admin.close();
            try {
                script("down", dir.toString());
            } catch (IOException | InterruptedException e) {
                System.err.println("control plane in " + dir + " not stopped: " + e.getMessage());
            }
        }, "control-plane-down"));
    }

    /** The control plane of this JVM, started (with the CRDs and the install manifest's RBAC applied) on first use. */
    public static synchronized ControlPlane get() {
        if (instance == null) {
            try {
                Path dir = Files.createTempDirectory(Path.of("target").toAbsolutePath(), "k8s-control-plane-");
                instance = new ControlPlane(dir);
                System.out.println("control plane up in " + instance.startMillis + " ms, KUBECONFIG="
                        + instance.adminKubeconfig);
                instance.kubectl("apply", "--validate=false", "-f", REPO.resolve("deploy/install.yaml").toString());
                // The manifest's operator Deployment has no node to run on here; the tests run the operator
                // themselves, with the same identity.
                instance.kubectl("-n", OPERATOR_NAMESPACE, "scale", "deployment/sniproxy-operator", "--replicas=0");
            } catch (IOException e) {
                throw new IllegalStateException("cannot start the control plane: " + e.getMessage(), e);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted while starting the control plane", e);
            }
        }
        return instance;
    }

    public long startMillis() {
        return startMillis;
    }

    public Path dir() {
        return dir;
    }

    public Path adminKubeconfig() {
        return adminKubeconfig;
    }

    /** A client with full rights (system:masters), for the tests' own setup and checks. */
    public KubernetesClient admin() {
        return admin;
    }

    /** A user authenticated by a client certificate: its files and a kubeconfig using them. */
    public record Identity(String user, Path kubeconfig, Path cert, Path key) {
    }

    public String apiServerUrl() {
        try {
            return "https://127.0.0.1:" + Files.readString(dir.resolve("apiserver.port")).strip();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    public Path caCert() {
        return dir.resolve("pki/ca.crt");
    }

    /** {@code user} in {@code groups}, with a client certificate signed by the cluster CA. */
    public Identity identity(String user, String... groups) {
        Path kubeconfig = kubeconfigFor(user, groups);
        String file = user.replace(':', '_').replace('/', '_');
        return new Identity(user, kubeconfig, dir.resolve("pki/" + file + ".crt"), dir.resolve("pki/" + file + ".key"));
    }

    /** A kubeconfig authenticating as {@code user} in {@code groups} with a client certificate. */
    public Path kubeconfigFor(String user, String... groups) {
        List<String> args = new ArrayList<>(List.of("user", dir.toString(), user));
        args.addAll(List.of(groups));
        try {
            return Path.of(script(args.toArray(String[]::new)).strip());
        } catch (IOException e) {
            throw new IllegalStateException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    /** The operator's identity: the ServiceAccount's user name and groups, as its token would give. */
    public Identity operatorIdentity() {
        return identity(OPERATOR_USER, "system:serviceaccounts", "system:serviceaccounts:" + OPERATOR_NAMESPACE);
    }

    public static KubernetesClient client(Path kubeconfig) {
        try {
            Config config = Config.fromKubeconfig(Files.readString(kubeconfig));
            return new KubernetesClientBuilder().withConfig(config).build();
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + kubeconfig, e);
        }
    }

    /**
     * The writes (create/update/patch/delete) {@code user} made since {@code since}, from the API
     * server's audit log, as {@code "verb uri -> code"}.
     */
    public List<String> writesBy(String user, java.time.Instant since) {
        List<String> writes = new ArrayList<>();
        try {
            for (String line : Files.readAllLines(dir.resolve("audit.log"))) {
                var event = MAPPER.readTree(line);
                if (!"ResponseComplete".equals(event.path("stage").asText())
                        || !user.equals(event.path("user").path("username").asText())
                        || java.time.Instant.parse(event.path("stageTimestamp").asText()).isBefore(since)) {
                    continue;
                }
                writes.add(event.path("verb").asText() + " " + event.path("requestURI").asText() + " -> "
                        + event.path("responseStatus").path("code").asText());
            }
        } catch (IOException e) {
            throw new IllegalStateException("cannot read the audit log", e);
        }
        return writes;
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper MAPPER =
            new com.fasterxml.jackson.databind.ObjectMapper();

    /** Creates the namespace unless it exists. */
    public void namespace(String name) {
        if (admin.namespaces().withName(name).get() == null) {
            admin.resource(new NamespaceBuilder().withNewMetadata().withName(name).endMetadata().build()).create();
        }
    }

    /** {@code kubectl} (the image's) as admin; fails with its output when it exits non-zero. */
    public String kubectl(String... args) throws IOException, InterruptedException {
        return kubectlAs(adminKubeconfig, args).requireSuccess();
    }

    public Result kubectlAs(Path kubeconfig, String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of("kubectl", "--kubeconfig", kubeconfig.toString()));
        command.addAll(List.of(args));
        return run(command, Duration.ofSeconds(120), true);
    }

    private static String script(String... args) throws IOException, InterruptedException {
        List<String> command = new ArrayList<>(List.of(REPO.resolve("bin/k8s-control-plane.sh").toString()));
        command.addAll(List.of(args));
        return run(command, Duration.ofSeconds(120), false).requireSuccess();
    }

    public record Result(List<String> command, int exit, String out) {
        public String requireSuccess() {
            if (exit != 0) {
                throw new IllegalStateException(String.join(" ", command) + " exited " + exit + ":\n" + out);
            }
            return out;
        }
    }

    /** Runs a command; its stderr joins the result ({@code withStderr}) or the test's log. */
    private static Result run(List<String> command, Duration timeout, boolean withStderr)
            throws IOException, InterruptedException {
        Path log = Files.createTempFile("cmd-", ".out");
        try {
            ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(log.toFile());
            if (withStderr) {
                pb.redirectErrorStream(true);
            } else {
                pb.redirectError(ProcessBuilder.Redirect.INHERIT);
            }
            Process p = pb.start();
            if (!p.waitFor(timeout.toMillis(), TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + " did not finish within " + timeout);
            }
            return new Result(command, p.exitValue(), Files.readString(log, StandardCharsets.UTF_8));
        } finally {
            Files.deleteIfExists(log);
        }
    }
}
