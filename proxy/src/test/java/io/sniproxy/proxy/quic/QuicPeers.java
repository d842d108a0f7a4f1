package io.sniproxy.proxy.quic;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandler;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.nio.NioEventLoopGroup;
import io.netty.channel.socket.nio.NioDatagramChannel;
import io.netty.incubator.codec.quic.InsecureQuicTokenHandler;
import io.netty.incubator.codec.quic.QuicChannel;
import io.netty.incubator.codec.quic.QuicClientCodecBuilder;
import io.netty.incubator.codec.quic.QuicServerCodecBuilder;
import io.netty.incubator.codec.quic.QuicSslContext;
import io.netty.incubator.codec.quic.QuicSslContextBuilder;
import io.netty.incubator.codec.quic.QuicStreamChannel;
import io.netty.incubator.codec.quic.QuicStreamType;
import io.netty.incubator.codec.quic.QuicTokenHandler;
import io.sniproxy.proxy.testing.TestCerts;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.TrustManagerFactory;

/**
 * A real QUIC server and client (Netty's QUIC codec over quiche/BoringSSL) for end-to-end tests:
 * the server answers each bidirectional stream with {@code "<tag>:" + what it read} and counts every
 * datagram that reaches its socket; the client verifies the test certificate and sends the SNI it is
 * given.
 */
public final class QuicPeers {

    static final String ALPN = "sniproxy-test";

    private QuicPeers() {
    }

    /** A QUIC echo server on 127.0.0.1. */
    public static final class Server implements AutoCloseable {
        private final Channel channel;
        public final AtomicInteger datagrams = new AtomicInteger();
        public final AtomicInteger streams = new AtomicInteger();
        public final AtomicInteger connections = new AtomicInteger();

        public Server(NioEventLoopGroup group, String tag, boolean retry) throws Exception {
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(TestCerts.keyStore(), TestCerts.PASSWORD);
            QuicSslContext ssl = QuicSslContextBuilder.forServer(kmf, new String(TestCerts.PASSWORD))
                    .applicationProtocols(ALPN).build();
            QuicServerCodecBuilder codec = new QuicServerCodecBuilder()
                    .sslContext(ssl)
                    .maxIdleTimeout(10, TimeUnit.SECONDS)
                    .initialMaxData(1 << 20)
                    .initialMaxStreamDataBidirectionalRemote(1 << 16)
                    .initialMaxStreamsBidirectional(16)
                    .handler(new ChannelInitializer<QuicChannel>() { // shared by every connection
                        @Override
                        protected void initChannel(QuicChannel ch) {
                            connections.incrementAndGet();
                            // A handshake this server refuses (a forged or incomplete ClientHello some
                            // tests send through the proxy) ends the connection, without a WARN at the tail.
                            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                @Override
                                public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                    ctx.close();
                                }
                            });
                        }
                    })
                    .streamHandler(new ChannelInitializer<QuicStreamChannel>() {
                        @Override
                        protected void initChannel(QuicStreamChannel ch) {
                            streams.incrementAndGet();
                            ch.pipeline().addLast(new ChannelInboundHandlerAdapter() {
                                @Override
                                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                    ByteBuf in = (ByteBuf) msg;
                                    String text = in.toString(StandardCharsets.UTF_8);
                                    in.release();
                                    ctx.writeAndFlush(Unpooled.copiedBuffer(tag + ":" + text, StandardCharsets.UTF_8))
                                            .addListener(QuicStreamChannel.SHUTDOWN_OUTPUT);
                                }
                            });
                        }
                    });
            if (retry) {
                codec.tokenHandler(InsecureQuicTokenHandler.INSTANCE); // the server sends Retry first
            } else {
                codec.tokenHandler(new QuicTokenHandler() { // no address validation: no Retry
                    @Override
                    public boolean writeToken(ByteBuf out, ByteBuf dcid, InetSocketAddress address) {
                        return false;
                    }

                    @Override
                    public int validateToken(ByteBuf token, InetSocketAddress address) {
                        return 0;
                    }

                    @Override
                    public int maxTokenLength() {
                        return 0;
                    }
                });
            }
            ChannelHandler counter = new ChannelInboundHandlerAdapter() {
                @Override
                public void channelRead(ChannelHandlerContext ctx, Object msg) {
                    datagrams.incrementAndGet();
                    ctx.fireChannelRead(msg);
                }
            };
            channel = new Bootstrap().group(group).channel(NioDatagramChannel.class)
                    .handler(new ChannelInitializer<Channel>() {
                        @Override
                        protected void initChannel(Channel ch) {
                            ch.pipeline().addLast(counter, codec.build());
                        }
                    })
                    .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
        }

        public String address() {
            return "127.0.0.1:" + ((InetSocketAddress) channel.localAddress()).getPort();
        }

        @Override
        public void close() {
            channel.close().syncUninterruptibly();
        }
    }

    /**
     * Connects to {@code target} with {@code sni}, sends {@code text} on one stream and returns the
     * answer. Fails if the handshake does not complete within {@code idleMillis}.
     */
    public static String exchange(NioEventLoopGroup group, InetSocketAddress target, String sni, String text,
            long idleMillis) throws Exception {
        try (Client client = Client.connect(group, target, sni, idleMillis)) {
            return client.request(text);
        }
    }

    /** One QUIC connection that stays open for several requests, each on its own stream. */
    public static final class Client implements AutoCloseable {
        private final Channel udp;
        private final QuicChannel quic;

        private Client(Channel udp, QuicChannel quic) {
            this.udp = udp;
            this.quic = quic;
        }

        /** Fails if the handshake does not complete within {@code idleMillis} (+5 s). */
        public static Client connect(NioEventLoopGroup group, InetSocketAddress target, String sni, long idleMillis)
                throws Exception {
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(TestCerts.keyStore());
            QuicSslContext ssl = QuicSslContextBuilder.forClient().trustManager(tmf).applicationProtocols(ALPN)
                    .build();
            ChannelHandler codec = new QuicClientCodecBuilder()
                    .sslEngineProvider(q -> ssl.newEngine(q.alloc(), sni, 443))
                    .maxIdleTimeout(idleMillis, TimeUnit.MILLISECONDS)
                    .initialMaxData(1 << 20)
                    .initialMaxStreamDataBidirectionalLocal(1 << 16)
                    .build();
            Channel udp = new Bootstrap().group(group).channel(NioDatagramChannel.class).handler(codec)
                    .bind(new InetSocketAddress("127.0.0.1", 0)).sync().channel();
            try {
                QuicChannel quic = QuicChannel.newBootstrap(udp)
                        // A refused handshake (what some tests expect) fails the connect future; the
                        // same error fired down the connection's pipeline needs no WARN at its tail.
                        .handler(new ChannelInboundHandlerAdapter() {
                            @Override
                            public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
                                ctx.close();
                            }
                        })
                        .streamHandler(new ChannelInboundHandlerAdapter())
                        .remoteAddress(target)
                        .connect().get(idleMillis + 5000, TimeUnit.MILLISECONDS);
                return new Client(udp, quic);
            } catch (Exception e) {
                udp.close().sync();
                throw e;
            }
        }

        /** Sends {@code text} on a new bidirectional stream and returns the whole answer. */
        public String request(String text) throws Exception {
            CompletableFuture<String> answer = new CompletableFuture<>();
            StringBuilder got = new StringBuilder();
            QuicStreamChannel stream = quic.createStream(QuicStreamType.BIDIRECTIONAL,
                    new ChannelInboundHandlerAdapter() {
                        @Override
                        public void channelRead(ChannelHandlerContext ctx, Object msg) {
                            ByteBuf in = (ByteBuf) msg;
                            got.append(in.toString(StandardCharsets.UTF_8));
                            in.release();
                        }

                        @Override
                        public void channelInactive(ChannelHandlerContext ctx) {
                            answer.complete(got.toString());
                        }
                    }).sync().getNow();
            stream.writeAndFlush(Unpooled.copiedBuffer(text, StandardCharsets.UTF_8))
                    .addListener(QuicStreamChannel.SHUTDOWN_OUTPUT);
            return answer.get(10, TimeUnit.SECONDS);
        }

        /** False once the connection closed (idle timeout, CONNECTION_CLOSE). */
        public boolean isActive() {
            return quic.isActive();
        }

        @Override
        public void close() throws InterruptedException {
            try {
                quic.close().sync();
            } finally {
                udp.close().sync();
            }
        }
    }
}
