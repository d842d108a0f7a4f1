package io.sniproxy.operator.render;

import io.sniproxy.config.Cidr;
import io.sniproxy.config.ConfigSchema;
import io.sniproxy.config.Durations;
import io.sniproxy.config.HostPort;
import io.sniproxy.operator.api.ListenerProtocol;
import io.sniproxy.operator.api.ListenerSpec;
import io.sniproxy.operator.api.SniProxySpec;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * Re-checks a SniProxy spec with the proxy's own rules: the API server's schema catches most of this,
 * but not cross-field rules on every cluster, and not at all on a server that skips validation.
 */
public final class ProxySpecCheck {

    public static final int DEFAULT_MANAGEMENT_PORT = 9000;

    private ProxySpecCheck() {
    }

    public static List<String> problems(SniProxySpec spec) {
        List<String> problems = new ArrayList<>();
        if (spec == null) {
            problems.add("spec: is missing");
            return problems;
        }
        if (spec.listeners == null || spec.listeners.isEmpty()) {
            problems.add("spec.listeners: at least one listener is required");
            return problems;
        }
        int management = managementPort(spec);
        Map<String, Integer> names = new HashMap<>();
        Map<String, Integer> sockets = new HashMap<>();
        for (int i = 0; i < spec.listeners.size(); i++) {
            ListenerSpec l = spec.listeners.get(i);
            String path = "spec.listeners[" + i + "]";
            if (l == null) {
                problems.add(path + ": is empty");
                continue;
            }
            if (l.name == null || !l.name.matches("^[a-z]([-a-z0-9]{0,13}[a-z0-9])?$")) {
                problems.add(path + ".name: '" + l.name + "' must be a port name: lower-case letters, digits and '-', "
                        + "starting with a letter, at most 15 characters");
            } else {
                Integer prev = names.putIfAbsent(l.name, i);
                if (prev != null) {
                    problems.add(path + ".name: '" + l.name + "' is already used by spec.listeners[" + prev + "]");
                }
            }
            if (l.protocol == null) {
                problems.add(path + ".protocol: must be one of " + ConfigSchema.Listeners.PROTOCOL.allowedText());
            }
            if (l.port == null || l.port < 1 || l.port > 65535) {
                problems.add(path + ".port: " + l.port + " is not a port (1-65535)");
            } else {
                if (l.port == management) {
                    problems.add(path + ".port: " + l.port + " is the management port (metrics and health); "
                            + "pick another port or set spec.managementPort");
                }
                String socket = (l.protocol == ListenerProtocol.QUIC ? "udp/" : "tcp/") + l.port;
                Integer prev = sockets.putIfAbsent(socket, i);
                if (prev != null) {
                    problems.add(path + ".port: " + socket + " is already used by spec.listeners[" + prev + "]");
                }
            }
            if (l.defaultBackend != null && HostPort.parse(l.defaultBackend, true).isEmpty()) {
                problems.add(path + ".defaultBackend: '" + l.defaultBackend + "' is not host:port");
            }
            if (l.trustedProxies != null) {
                for (int j = 0; j < l.trustedProxies.size(); j++) {
                    String block = l.trustedProxies.get(j);
                    Cidr.Parsed parsed = Cidr.parse(block);
                    if (parsed.cidr().isEmpty()) {
                        problems.add(path + ".trustedProxies[" + j + "]: '" + block + "' " + parsed.problem());
                    }
                }
            }
        }
        if (spec.timeouts != null) {
            duration(problems, "clientHello", spec.timeouts.clientHello);
            duration(problems, "connect", spec.timeouts.connect);
            duration(problems, "idle", spec.timeouts.idle);
            duration(problems, "udpSession", spec.timeouts.udpSession);
            duration(problems, "drain", spec.timeouts.drain);
        }
        if (spec.replicas != null && spec.replicas < 1) {
            problems.add("spec.replicas: " + spec.replicas + " must be at least 1");
        }
        if (spec.watchdog != null && spec.watchdog.fdHighWaterRatio != null
                && (spec.watchdog.fdHighWaterRatio <= 0 || spec.watchdog.fdHighWaterRatio > 1)) {
            problems.add("spec.watchdog.fdHighWaterRatio: " + spec.watchdog.fdHighWaterRatio + " must be in (0, 1]");
        }
        return problems;
    }

    public static int managementPort(SniProxySpec spec) {
        return spec.managementPort == null ? DEFAULT_MANAGEMENT_PORT : spec.managementPort;
    }

    private static void duration(List<String> problems, String field, String value) {
        if (value != null && Durations.parse(value).filter(d -> !d.isNegative()).isEmpty()) {
            problems.add("spec.timeouts." + field + ": '" + value + "' is not a duration (500ms, 10s, 5m, 1h)");
        }
    }
}
