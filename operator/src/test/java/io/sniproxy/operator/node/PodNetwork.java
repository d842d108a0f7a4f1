package io.sniproxy.operator.node;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/**
 * A network namespace per pod, as a CNI plugin gives one: the pod's processes bind what the rendered
 * config says (0.0.0.0, the management port) without clashing with the other pods, and get their own
 * IP, reachable from the host (the operator's watchdog, the tests' clients) over a veth pair.
 * Addresses: 10.250.N.i for pod i; the host's side is 10.250.N.254 (on the host's loopback, so test
 * backends can bind it before any pod exists). N is random per stand-in, so parallel runs do not meet.
 * Needs root (CAP_NET_ADMIN) and {@code ip} from iproute2.
 */
public final class PodNetwork implements AutoCloseable {

    private final String prefix;
    private final int subnet;
    private final List<String> namespaces = new ArrayList<>();
    private int next = 1;

    public PodNetwork() throws IOException {
        this(ThreadLocalRandom.current().nextInt(1, 250));
    }

    /** A fixed subnet 10.250.{@code subnet}.0/24 (the "try it" command uses one the docs can name). */
    public PodNetwork(int subnet) throws IOException {
        this.subnet = subnet;
        this.prefix = "sp" + Integer.toString(ThreadLocalRandom.current().nextInt(36 * 36 * 36), 36);
        ip("addr", "add", hostAddress() + "/32", "dev", "lo");
    }

    /** The address pods reach the host by: bind test backends here. */
    public String hostAddress() {
        return "10.250." + subnet + ".254";
    }

    /** A pod's network: the namespace name (for {@code ip netns exec}) and its IP. */
    public record Sandbox(String namespace, String ip) {
    }

    public synchronized Sandbox create() throws IOException {
        if (next >= 254) {
            throw new IOException("pod network " + hostAddress() + " is full");
        }
        int i = next++;
        String ns = prefix + "-" + i;
        String hostIf = prefix + "h" + i;
        String podIf = prefix + "p" + i;
        String podIp = "10.250." + subnet + "." + i;
        ip("netns", "add", ns);
        namespaces.add(ns);
        ip("link", "add", hostIf, "type", "veth", "peer", "name", podIf);
        ip("link", "set", podIf, "netns", ns);
        ip("link", "set", hostIf, "up");
        ip("route", "add", podIp + "/32", "dev", hostIf, "src", hostAddress());
        ip("-n", ns, "link", "set", "lo", "up");
        ip("-n", ns, "addr", "add", podIp + "/32", "dev", podIf);
        ip("-n", ns, "link", "set", podIf, "up");
        ip("-n", ns, "route", "add", hostAddress() + "/32", "dev", podIf);
        ip("-n", ns, "route", "add", "default", "via", hostAddress(), "dev", podIf);
        return new Sandbox(ns, podIp);
    }

    /** Removes the namespace; its veth pair goes with it. */
    public synchronized void delete(Sandbox sandbox) {
        try {
            ip("netns", "del", sandbox.namespace());
        } catch (IOException e) {
            System.err.println("pod network: " + e.getMessage());
        }
        namespaces.remove(sandbox.namespace());
    }

    @Override
    public synchronized void close() {
        for (String ns : List.copyOf(namespaces)) {
            delete(new Sandbox(ns, ""));
        }
        try {
            ip("addr", "del", hostAddress() + "/32", "dev", "lo");
        } catch (IOException e) {
            System.err.println("pod network: " + e.getMessage());
        }
    }

    private static void ip(String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of("ip"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        try {
            if (!p.waitFor(10, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IOException(String.join(" ", command) + ": no answer within 10 s");
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
            if (p.exitValue() != 0) {
                throw new IOException(String.join(" ", command) + " failed: " + out);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted", e);
        }
    }
}
