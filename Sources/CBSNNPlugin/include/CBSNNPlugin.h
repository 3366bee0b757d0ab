/* The canonical plugin header lives at the repository's include/bsnn_plugin.h, where
 * plugin authors find it; this relative include makes it the one copy the engine
 * compiles against, and clang's dependency files make `swift build` notice edits. */
#include "../../../include/bsnn_plugin.h"
