/*
 * EMB_API marks the symbols that libembedding exports. The library is built
 * with -fvisibility=hidden, so everything without this macro stays internal.
 * Static-library users define EMB_STATIC before including the header.
 */
#ifndef EMBEDDING_EXPORT_H
#define EMBEDDING_EXPORT_H

#if defined(EMB_STATIC)
#define EMB_API
#elif defined(_WIN32)
#if defined(EMB_BUILDING_LIBRARY)
#define EMB_API __declspec(dllexport)
#else
#define EMB_API __declspec(dllimport)
#endif
#elif defined(__GNUC__)
#define EMB_API __attribute__((visibility("default")))
#else
#define EMB_API
#endif

#endif /* EMBEDDING_EXPORT_H */
