# bash completion for shuntctl. Install: copy to /usr/share/bash-completion/completions/shuntctl
# (or source it from ~/.bashrc).

# Network interfaces of the current namespace, and PCI network devices (class 02).
_shuntctl_ifaces() { ls /sys/class/net 2>/dev/null; }
_shuntctl_pci() {
    local d
    for d in /sys/bus/pci/devices/*; do
        [[ "$(cat "$d/class" 2>/dev/null)" == 0x02* ]] && echo "${d##*/}"
    done
}

_shuntctl() {
    local cur prev words cword
    if declare -F _init_completion >/dev/null; then
        _init_completion || return
    else
        cur="${COMP_WORDS[COMP_CWORD]}"
        prev="${COMP_WORDS[COMP_CWORD - 1]}"
        words=("${COMP_WORDS[@]}")
        cword=$COMP_CWORD
    fi
    local commands="status show doctor hugepages kernel-stack bind unbind sriov channels rss steer stats capture"

    # The subcommand (and kernel-stack's own) and the positionals after it.
    local cmd="" sub="" i nargs=0
    for ((i = 1; i < cword; i++)); do
        case "${words[i]}" in
            --state-dir) ((i++)) ;;
            -*) ;;
            *)
                if [[ -z "$cmd" ]]; then
                    cmd="${words[i]}"
                elif [[ "$cmd" == kernel-stack && -z "$sub" ]]; then
                    sub="${words[i]}"
                else
                    ((nargs++))
                fi
                ;;
        esac
    done

    if [[ "$prev" == --control ]]; then
        mapfile -t COMPREPLY < <(compgen -f -- "${cur:-/run/shunt/}")
        return
    fi
    if [[ "$prev" == --state-dir ]]; then
        mapfile -t COMPREPLY < <(compgen -d -- "$cur")
        return
    fi
    if [[ -z "$cmd" ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$commands --state-dir --help" -- "$cur")
        return
    fi

    local opts="--help" args=""
    case "$cmd" in
        status | doctor) opts+=" --json" ;;
        stats) opts+=" --watch --iterations --json --control" ;;
        capture)
            opts+=" -w --write --count --duration --filter --snaplen --ring-frames --control"
            [[ "$prev" == -w || "$prev" == --write ]] && mapfile -t COMPREPLY < <(compgen -f -- "$cur") && return
            ;;
        show) opts+=" --json"; ((nargs == 0)) && args="$(_shuntctl_ifaces)" ;;
        hugepages)
            opts+=" --json --reserve --size"
            [[ "$prev" == --size ]] && args="2M 1G" && opts=""
            ;;
        bind | unbind | sriov)
            [[ "$cmd" == bind ]] && opts+=" --force"
            [[ "$cmd" == sriov ]] && opts+=" --vfs --json"
            ((nargs == 0)) && args="$(_shuntctl_pci) $(_shuntctl_ifaces)"
            ;;
        kernel-stack)
            case "$sub" in
                "") args="off on status discard" ;;
                off) opts+=" --unbind --keep-link --force"; ((nargs == 0)) && args="$(_shuntctl_ifaces)" ;;
                on) opts+=" --all"; ((nargs == 0)) && args="$(_shuntctl_ifaces) $(_shuntctl_pci)" ;;
                status) opts+=" --json" ;;
                discard) opts+=" --stale --force"; ((nargs == 0)) && args="$(_shuntctl_ifaces) $(_shuntctl_pci)" ;;
            esac
            ;;
        channels)
            opts+=" --json --combined --rx --tx --other"
            ((nargs == 0)) && args="$(_shuntctl_ifaces)"
            ;;
        rss)
            opts+=" --json --equal --default --hash"
            ((nargs == 0)) && args="$(_shuntctl_ifaces)"
            [[ "$prev" == --hash ]] && args="tcp4=sdfn udp4=sdfn tcp6=sdfn udp6=sdfn" && opts=""
            ;;
        steer)
            opts+=" --json"
            if ((nargs == 0)); then
                args="$(_shuntctl_ifaces)"
            elif ((nargs == 1)); then
                args="add del list"
            else
                case "$prev" in
                    flow-type) args="tcp4 udp4" ;;
                    action) args="drop" ;;
                    src-ip | dst-ip | src-port | dst-port | loc) args="" ;;
                    *) args="flow-type src-ip dst-ip src-port dst-port action loc" ;;
                esac
            fi
            ;;
    esac
    if [[ "$cur" == -* ]]; then
        mapfile -t COMPREPLY < <(compgen -W "$opts" -- "$cur")
    else
        mapfile -t COMPREPLY < <(compgen -W "$args" -- "$cur")
    fi
}
complete -F _shuntctl shuntctl
