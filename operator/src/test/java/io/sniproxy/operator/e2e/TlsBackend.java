package io.sniproxy.operator.e2e;

import io.sniproxy.proxy.testing.TestCerts;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.InetAddress;
import java.nio.charset.StandardCharsets;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/** A TLS echo backend on the address the stand-in node's pods reach the host by: answers {@code id:line}. */
final class TlsBackend implements AutoCloseable {

    private final String id;
    private final SSLServerSocket server;

    TlsBackend(String id, String host) throws IOException {
        this.id = id;
        this.server = (SSLServerSocket) TestCerts.serverContext().getServerSocketFactory()
                .createServerSocket(0, 200, InetAddress.getByName(host));
        Thread.ofVirtual().name("backend-" + id).start(this::acceptLoop);
    }

    String address() {
        return server.getInetAddress().getHostAddress() + ":" + server.getLocalPort();
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                SSLSocket s = (SSLSocket) server.accept();
                Thread.ofVirtual().start(() -> serve(s));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(SSLSocket s) {
        try (s) {
            s.setSoTimeout(30_000);
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            String line;
            while ((line = in.readLine()) != null) {
                s.getOutputStream().write((id + ":" + line + "\n").getBytes(StandardCharsets.UTF_8));
                s.getOutputStream().flush();
            }
        } catch (IOException ignored) {
            // the client went away
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
    }
}
