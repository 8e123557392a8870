// The CAF unit-test framework's main() for the actor tests (caf/test/dsl.hpp needs it).
#include <caf/test/unit_test_impl.hpp>
