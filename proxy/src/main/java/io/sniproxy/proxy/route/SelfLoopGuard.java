package io.sniproxy.proxy.route;

import io.sniproxy.config.Listener;
import io.sniproxy.config.ProxyConfig;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NetworkInterface;
import java.net.SocketException;
import java.net.UnknownHostException;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Refuses a backend that is one of the proxy's own listeners: dialling itself, the proxy would
 * accept, route and dial again until it runs out of file descriptors. Built per config generation,
 * off the event loop (it enumerates the host's interface addresses once).
 */
public final class SelfLoopGuard {

    private record Socket(boolean tcp, InetAddress address, int port) {
    }

    private final Set<Socket> exact = new HashSet<>();
    private final Set<Integer> wildcardTcpPorts = new HashSet<>();
    private final Set<Integer> wildcardUdpPorts = new HashSet<>();
    private final Set<InetAddress> localAddresses;

    private SelfLoopGuard(List<Listener> listeners, Set<InetAddress> localAddresses) {
        this.localAddresses = localAddresses;
        for (Listener l : listeners) {
            boolean tcp = l.protocol().isTcp();
            InetAddress address = literal(l.address().host());
            if (address == null || address.isAnyLocalAddress()) {
                (tcp ? wildcardTcpPorts : wildcardUdpPorts).add(l.port());
            } else {
                exact.add(new Socket(tcp, address, l.port()));
            }
        }
    }

    public static SelfLoopGuard of(ProxyConfig config) {
        return new SelfLoopGuard(config.listeners(), interfaceAddresses());
    }

    public boolean isOwnListener(InetSocketAddress target, boolean tcp) {
        InetAddress a = AddressPolicy.unwrapEmbeddedIpv4(target.getAddress());
        int port = target.getPort();
        if (exact.contains(new Socket(tcp, a, port))) {
            return true;
        }
        Set<Integer> wildcard = tcp ? wildcardTcpPorts : wildcardUdpPorts;
        return wildcard.contains(port)
                && (a.isLoopbackAddress() || a.isAnyLocalAddress() || localAddresses.contains(a));
    }

    private static InetAddress literal(String host) {
        try {
            if (host.indexOf(':') >= 0 || host.chars().allMatch(c -> c == '.' || Character.isDigit(c))) {
                return InetAddress.getByName(host);
            }
            if (host.equalsIgnoreCase("localhost")) {
                return InetAddress.getLoopbackAddress();
            }
        } catch (UnknownHostException e) {
            return null;
        }
        return null; // a listener bound by name: treated as a wildcard on its port, the safe side
    }

    private static Set<InetAddress> interfaceAddresses() {
        Set<InetAddress> out = new HashSet<>();
        try {
            for (NetworkInterface ni : Collections.list(NetworkInterface.getNetworkInterfaces())) {
                for (InetAddress a : Collections.list(ni.getInetAddresses())) {
                    out.add(AddressPolicy.unwrapEmbeddedIpv4(a));
                }
            }
        } catch (SocketException e) {
            // No interface list: only loopback and explicit listener addresses are recognised.
        }
        return out;
    }
}
