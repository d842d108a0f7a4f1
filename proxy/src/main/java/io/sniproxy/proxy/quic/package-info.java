/**
 * QUIC listeners: route each UDP client by the SNI in its Initial packets without terminating
 * QUIC. {@link io.sniproxy.proxy.quic.QuicInitialDecoder} opens the client Initials (v1 and v2) and
 * {@link io.sniproxy.proxy.quic.CryptoReassembler} rebuilds the ClientHello from CRYPTO frames in any
 * order — both pure, bounded and never throwing; {@link io.sniproxy.proxy.quic.QuicSession} buffers,
 * routes, forwards and expires one QUIC connection over one or more
 * {@link io.sniproxy.proxy.quic.QuicPath}s (client addresses: a NAT rebinding is followed by the
 * server's connection ID, {@link io.sniproxy.proxy.quic.ConnectionIdIndex}), and
 * {@link io.sniproxy.proxy.quic.RefusedClients} keeps a refused client's retransmissions refused; {@link io.sniproxy.proxy.quic.QuicListenerFactory}
 * binds the sockets. See docs/quic.md.
 */
package io.sniproxy.proxy.quic;
