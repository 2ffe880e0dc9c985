from plan_ls.cli import main

raise SystemExit(main())
