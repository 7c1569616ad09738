/* SPDX-License-Identifier: Apache-2.0 */
#ifndef AA_JWKS_H
#define AA_JWKS_H
#endif
