# Run by `cmake --install` (see the top CMakeLists.txt): moves the debug info of each installed
# binary in SHUNT_SPLIT_FILES (paths relative to the install prefix) into
# PREFIX/lib/debug/PATH.debug and leaves a .gnu_debuglink behind, the layout gdb and perf search
# (gdb manual "Separate Debug Files"; perf's dso lookup tries /usr/lib/debug/PATH.debug and the
# debuglink). The installed binaries stay small; `perf record -g` with frame pointers still
# gives whole stacks, and perf report names the frames from the .debug files.
# Inputs: SHUNT_SPLIT_FILES, SHUNT_OBJCOPY.
set(prefix "$ENV{DESTDIR}${CMAKE_INSTALL_PREFIX}")
foreach(rel IN LISTS SHUNT_SPLIT_FILES)
  set(bin "${prefix}/${rel}")
  if(NOT EXISTS "${bin}")
    continue()
  endif()
  set(dbg "${prefix}/lib/debug/${rel}.debug")
  get_filename_component(dbg_dir "${dbg}" DIRECTORY)
  file(MAKE_DIRECTORY "${dbg_dir}")
  execute_process(COMMAND ${SHUNT_OBJCOPY} --only-keep-debug "${bin}" "${dbg}"
                  RESULT_VARIABLE rc1)
  # --add-gnu-debuglink records the .debug file's name and CRC; the debugger looks for that
  # name next to the binary, in .debug/ and under /usr/lib/debug/ + the binary's directory.
  execute_process(COMMAND ${SHUNT_OBJCOPY} --strip-debug "--add-gnu-debuglink=${dbg}" "${bin}"
                  RESULT_VARIABLE rc2)
  if(NOT rc1 EQUAL 0 OR NOT rc2 EQUAL 0)
    message(FATAL_ERROR "split_debug: objcopy failed on ${bin}")
  endif()
  message(STATUS "Split debug info: ${dbg}")
endforeach()
