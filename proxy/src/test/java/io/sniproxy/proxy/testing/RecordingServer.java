package io.sniproxy.proxy.testing;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A plain TCP backend that records every connection and the bytes it received, so tests can
 * assert "no backend connection was ever opened" or "these exact bytes arrived". Optionally
 * echoes what it reads.
 */
public final class RecordingServer implements AutoCloseable {

    /** One accepted connection. */
    public static final class Conn {
        private final ByteArrayOutputStream received = new ByteArrayOutputStream();
        private final Socket socket;
        private volatile boolean closed;

        Conn(Socket socket) {
            this.socket = socket;
        }

        public synchronized byte[] received() {
            return received.toByteArray();
        }

        synchronized void add(byte[] b, int n) {
            if (received.size() < 1 << 20) {
                received.write(b, 0, n);
            }
        }

        public boolean closed() {
            return closed;
        }

        public Socket socket() {
            return socket;
        }
    }

    private final ServerSocket server;
    private final boolean echo;
    private final AtomicInteger accepted = new AtomicInteger();
    private final List<Conn> conns = new CopyOnWriteArrayList<>();
    private final Thread acceptor;

    public RecordingServer(boolean echo) throws IOException {
        this(echo, InetAddress.getLoopbackAddress());
    }

    public RecordingServer(boolean echo, InetAddress bind) throws IOException {
        this(echo, bind, 0);
    }

    public RecordingServer(boolean echo, InetAddress bind, int port) throws IOException {
        this.echo = echo;
        this.server = new ServerSocket(port, 500, bind);
        this.acceptor = Thread.ofVirtual().name("recording-server").start(this::acceptLoop);
    }

    public int port() {
        return server.getLocalPort();
    }

    public String address() {
        String host = server.getInetAddress().getHostAddress();
        return (host.indexOf(':') >= 0 ? "[" + host + "]" : host) + ":" + port();
    }

    public int accepted() {
        return accepted.get();
    }

    public List<Conn> connections() {
        return conns;
    }

    private void acceptLoop() {
        while (!server.isClosed()) {
            try {
                Socket s = server.accept();
                accepted.incrementAndGet();
                Conn c = new Conn(s);
                conns.add(c);
                Thread.ofVirtual().start(() -> serve(c));
            } catch (IOException e) {
                return;
            }
        }
    }

    private void serve(Conn c) {
        byte[] buf = new byte[16384];
        try (Socket s = c.socket) {
            InputStream in = s.getInputStream();
            int n;
            while ((n = in.read(buf)) > 0) {
                c.add(buf, n);
                if (echo) {
                    s.getOutputStream().write(buf, 0, n);
                }
            }
        } catch (IOException ignored) {
            // reset by peer: recorded as closed
        } finally {
            c.closed = true;
        }
    }

    /**
     * Stops listening, then closes every accepted connection. The JDK defers closing a socket that a
     * thread is blocked on until that thread has left accept(): until then the port still completes
     * handshakes (a "killed" backend answered the next connect on a loaded machine), and a connection
     * accepted in that window would be missed below. So the acceptor is waited for first.
     */
    @Override
    public void close() throws IOException {
        server.close();
        try {
            if (!acceptor.join(java.time.Duration.ofSeconds(10))) {
                throw new IOException("the accept loop did not end within 10 s of close");
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for the accept loop", e);
        }
        for (Conn c : conns) {
            try {
                c.socket.close();
            } catch (IOException ignored) {
                // closing anyway
            }
        }
    }
}
