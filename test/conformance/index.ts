// Every conformance scenario of spec/psci-kvm-semantics.md §5, in catalogue order.
import { derived } from "./derived.ts";
import type { Scenario } from "./guest.ts";
import { hypercalls } from "./hypercalls.ts";
import { kvmUnitTests } from "./kvm-unit-tests.ts";
import { psciSelftest } from "./psci-selftest.ts";
import { smcccFilter } from "./smccc-filter.ts";

export const scenarios: Scenario[] = [...psciSelftest, ...smcccFilter, ...hypercalls, ...kvmUnitTests, ...derived];
