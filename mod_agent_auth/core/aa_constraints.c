/* SPDX-License-Identifier: Apache-2.0 */
#include "aa_constraints.h"
