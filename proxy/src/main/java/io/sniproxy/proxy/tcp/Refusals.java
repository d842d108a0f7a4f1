package io.sniproxy.proxy.tcp;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import java.nio.charset.StandardCharsets;

/** What a refused client is told before the close: a TLS alert, or a short HTTP response. */
final class Refusals {

    private Refusals() {
    }

    /** A fatal {@code unrecognized_name} (112) alert record: the client learns the name is not served here. */
    static ByteBuf tlsUnrecognizedName(ByteBufAllocator alloc) {
        return alloc.buffer(7).writeBytes(new byte[] {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x70});
    }

    /**
     * A fatal {@code internal_error} (80) alert: the proxy cannot serve this connection now (no
     * socket for the backend), which is not the client's fault.
     */
    static ByteBuf tlsInternalError(ByteBufAllocator alloc) {
        return alloc.buffer(7).writeBytes(new byte[] {0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x50});
    }

    static ByteBuf http(ByteBufAllocator alloc, int status, String reasonPhrase, String body) {
        String text = "HTTP/1.1 " + status + " " + reasonPhrase + "\r\n"
                + "Content-Type: text/plain; charset=utf-8\r\n"
                + "Content-Length: " + (body.length() + 1) + "\r\n"
                + "Connection: close\r\n\r\n" + body + "\n";
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        return alloc.buffer(bytes.length).writeBytes(bytes);
    }
}
