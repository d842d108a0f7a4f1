/**
 * Byte-level sniffers that find a connection's routing name before any byte is forwarded: the SNI
 * of a TLS ClientHello ({@link io.sniproxy.proxy.sniff.ClientHelloParser}), the host of an HTTP/1.x
 * request head ({@link io.sniproxy.proxy.sniff.HttpHeadParser}) and the protocol of an
 * {@code auto} listener's first bytes ({@link io.sniproxy.proxy.sniff.ProtocolSniffer}).
 *
 * <p>All are pure functions: no I/O, no logging, no exceptions for any input, the caller's buffer
 * indices untouched, time O(bytes) and memory bounded by the caller's cap. See docs/parsers.md.
 */
package io.sniproxy.proxy.sniff;
