" NPL, the network policy intent language compiled by npc.
autocmd BufNewFile,BufRead *.npl setfiletype npl
