/* SPDX-License-Identifier: (GPL-2.0 WITH Linux-syscall-note) OR MIT */
/*
 * knat: the generic netlink ABI between knat.ko and the knat CLI.
 *
 * The family is "knat" (KNAT_GENL_NAME), version KNAT_GENL_VERSION. Every
 * command needs CAP_NET_ADMIN in the user namespace that owns the caller's
 * network namespace, and acts on that network namespace only. Attributes
 * are validated strictly: unknown attributes are refused, and refusals come
 * with an extended ACK message naming the offending attribute.
 *
 * KNAT_CMD_GET_INFO
 *   Request: no attributes.
 *   Reply:   KNAT_A_VERSION (string, the module's version),
 *            KNAT_A_GENL_VERSION (u32, the family version it speaks).
 */
#ifndef _UAPI_LINUX_KNAT_H
#define _UAPI_LINUX_KNAT_H

#define KNAT_GENL_NAME		"knat"
#define KNAT_GENL_VERSION	1

enum knat_cmd {
	KNAT_CMD_UNSPEC,
	KNAT_CMD_GET_INFO,
	__KNAT_CMD_MAX
};
#define KNAT_CMD_MAX (__KNAT_CMD_MAX - 1)

enum knat_attr {
	KNAT_A_UNSPEC,
	KNAT_A_VERSION,			/* string */
	KNAT_A_GENL_VERSION,		/* u32 */
	__KNAT_A_MAX
};
#define KNAT_A_MAX (__KNAT_A_MAX - 1)

#endif /* _UAPI_LINUX_KNAT_H */
