/**
 * QUIC listeners: route each UDP client by the SNI in its Initial packets without terminating
 * QUIC. {@link io.sniproxy.proxy.quic.QuicInitialDecoder} opens the client Initials (v1 and v2) and
 * {@link io.sniproxy.proxy.quic.CryptoReassembler} rebuilds the ClientHello from CRYPTO frames in any
 * order — both pure, bounded and never throwing; {@link io.sniproxy.proxy.quic.QuicSession} buffers,
 * routes, forwards and expires one client address; {@link io.sniproxy.proxy.quic.QuicListenerFactory}
 * binds the sockets. See docs/quic.md.
 */
package io.sniproxy.proxy.quic;
