package io.sniproxy.proxy.testing;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.SocketException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.ExtendedSSLSession;
import javax.net.ssl.SNIHostName;
import javax.net.ssl.SSLServerSocket;
import javax.net.ssl.SSLSocket;

/**
 * A real TLS server (JDK SSLServerSocket) that answers each line with {@code <id>:<line>} and records
 * the SNI names it was asked for. Each connection runs on a virtual thread.
 */
public final class TlsEchoServer implements AutoCloseable {

    private final String id;
    private final SSLServerSocket server;
    private final AtomicInteger accepted = new AtomicInteger();
    private final List<String> sniSeen = new CopyOnWriteArrayList<>();
    private final List<SSLSocket> open = new CopyOnWriteArrayList<>();

    public TlsEchoServer(String id) throws IOException {
        this.id = id;
        this.server = (SSLServerSocket) TestCerts.serverContext().getServerSocketFactory()
                .createServerSocket(0, 200, InetAddress.getLoopbackAddress());
        Thread.ofVirtual().name("tls-echo-" + id).start(this::acceptLoop);
    }

    public int port() {
        return server.getLocalPort();
    }

    public String address() {
        return "127.0.0.1:" + port();
    }

    public int accepted() {
        return accepted.get();
    }

    public List<String> sniSeen() {
        return sniSeen;
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                SSLSocket s = (SSLSocket) server.accept();
                accepted.incrementAndGet();
                open.add(s);
                Thread.ofVirtual().start(() -> serve(s));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(SSLSocket s) {
        try (s) {
            s.setSoTimeout(30_000);
            s.startHandshake();
            if (s.getSession() instanceof ExtendedSSLSession ext) {
                ext.getRequestedServerNames().forEach(n -> sniSeen.add(((SNIHostName) n).getAsciiName()));
            }
            BufferedReader in = new BufferedReader(new InputStreamReader(s.getInputStream(), StandardCharsets.UTF_8));
            OutputStream out = s.getOutputStream();
            String line;
            while ((line = in.readLine()) != null) {
                out.write((id + ":" + line + "\n").getBytes(StandardCharsets.UTF_8));
                out.flush();
            }
        } catch (SocketException ignored) {
            // client went away
        } catch (IOException ignored) {
            // handshake failures are the client's test to assert
        } finally {
            open.remove(s);
        }
    }

    @Override
    public void close() throws IOException {
        server.close();
        for (SSLSocket s : open) {
            try {
                s.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
