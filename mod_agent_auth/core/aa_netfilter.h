/* SPDX-License-Identifier: Apache-2.0 */
/*
 * aa_netfilter: the addresses and URLs a server-side fetch may reach, per the
 * spec's URL fetch protection (§8.12). Pure checks, testable without a network.
 */
#ifndef AA_NETFILTER_H
#define AA_NETFILTER_H

#include <apr_network_io.h>
#include <apr_pools.h>

#include <sys/socket.h>

#define AA_NET_MAX_URL 2048

/*
 * 1 when a server must never connect to sa: loopback, unspecified, private,
 * shared (CGNAT), link-local (the cloud metadata address included),
 * unique-local, multicast, broadcast and reserved ranges, documentation and
 * benchmark ranges, and IPv6 addresses that embed an IPv4 address which is
 * itself forbidden (IPv4-mapped, NAT64 64:ff9b::/96, 6to4 2002::/16). All of
 * ::/96 (IPv4-compatible, deprecated), 2001::/23 (Teredo and other protocol
 * assignments) and every IPv6 address outside 2000::/3 other than those
 * embedding forms are forbidden outright. Families other than AF_INET and
 * AF_INET6 are forbidden. Pure: no network, no allocation.
 */
int aa_addr_forbidden(const struct sockaddr *sa);

/* The same test on an APR address. */
int aa_apr_addr_forbidden(const apr_sockaddr_t *sa);

/*
 * Check that url may be fetched as a JWKS URL, parsing it with libcurl's own
 * parser so that the check sees the host the fetch will use. Refused: any
 * scheme but https, userinfo, more than AA_NET_MAX_URL characters, control
 * characters, spaces or backslashes, a missing host or port 0, an IPv6 zone
 * id, an IP-literal host for which aa_addr_forbidden holds (in any spelling
 * libcurl accepts: 2130706433, 0177.0.0.1 and 0x7f.1 all mean 127.0.0.1), and
 * the host names localhost, *.localhost, *.local, *.localdomain, *.internal
 * and *.home.arpa (with or without a trailing dot).
 *
 * NB: a host name that passes can still resolve to a forbidden address; that
 * is refused at connect time by aa_jwks_fetch, on the address it connects to.
 *
 * On success *host (lower case; an IPv6 literal without brackets) and *port
 * (443 when absent) are set when not NULL; *host lives in pool. Returns
 * APR_SUCCESS, or APR_EINVAL with the reason in *errstr.
 */
apr_status_t aa_url_check(apr_pool_t *pool, const char *url, const char **host,
                          apr_port_t *port, const char **errstr);

/* For aa_jwks.c: the same checks with a test-only loopback allowance. */
typedef struct {
    const char *url; /* as libcurl re-serialises it: what the fetch requests */
    const char *host;
    apr_port_t port;
} aa_net_url_t;

/* aa_addr_forbidden, except 127/8 and ::1 when allow_loopback is set. */
int aa_net_addr_refused(const struct sockaddr *sa, int allow_loopback);

/* aa_url_check with the loopback allowance; *out lives in pool. */
apr_status_t aa_net_check_url(apr_pool_t *pool, const char *url, int allow_loopback,
                              aa_net_url_t *out, const char **errstr);

/* s safe to quote in a logged error: control bytes as '?', at most 200 bytes. */
const char *aa_net_printable(apr_pool_t *pool, const char *s);

#endif
