package io.sniproxy.proxy.edge;

import io.sniproxy.proxy.testing.ClientHellos;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.Arrays;

/** Plain TCP clients of the proxy from a chosen loopback address (127.0.0.2, 127.0.0.3, ...). */
final class Clients {

    private Clients() {
    }

    /** A socket bound to {@code from} (any port), connected to the proxy's {@code port} on 127.0.0.1. */
    static Socket from(String from, int port) throws IOException {
        Socket s = new Socket();
        s.setSoTimeout(10_000);
        s.bind(new InetSocketAddress(InetAddress.getByName(from), 0));
        s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 5_000);
        return s;
    }

    /** Sends {@code bytes} and reads them back from an echo backend; false if the proxy closed instead. */
    static boolean echoed(Socket s, byte[] bytes) throws IOException {
        s.getOutputStream().write(bytes);
        byte[] back = s.getInputStream().readNBytes(bytes.length);
        return Arrays.equals(back, bytes);
    }

    /** A whole connection: hello sent from {@code from}, echoed back; false when refused. */
    static boolean roundTrip(String from, int port, String sni) throws IOException {
        try (Socket s = from(from, port)) {
            return echoed(s, ClientHellos.tls13(sni));
        } catch (java.net.SocketException reset) {
            return false;
        }
    }

    /** Reads until the proxy closes (or resets); true when it closed without sending a byte of an echo. */
    static boolean closedByProxy(Socket s) throws IOException {
        InputStream in = s.getInputStream();
        try {
            byte[] rest = in.readAllBytes();
            return rest.length < 16; // nothing, or a TLS alert / short refusal: never an echoed hello
        } catch (java.net.SocketException reset) {
            return true;
        }
    }
}
