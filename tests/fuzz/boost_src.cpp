// The fuzz build compiles Boost.JSON and Boost.URL into its targets instead of linking
// Debian's libraries, so that the parsers the targets exercise are instrumented too:
// libFuzzer then sees their coverage and the sanitizers see their memory.
#include <boost/json/src.hpp>
#include <boost/url/src.hpp>
