package main

import (
	"fmt"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/auditlake/auditlake/internal/app"
	"github.com/spf13/cobra"
)

func tokenCmd(g *globals) *cobra.Command {
	c := &cobra.Command{
		Use:   "token",
		Short: "Create, list and revoke API tokens",
		Long: `API tokens authenticate requests to auditlake serve (Authorization: Bearer <token>) and sign in
to the web UI. Roles: viewer reads dashboards and fixed views; analyst also runs ad hoc queries
and lists events; admin also manages rules, silences, sources and tokens; ingest may only push
events. Only a hash of each token is stored: the secret is printed once, at creation.`,
	}
	c.AddCommand(tokenCreateCmd(g), tokenListCmd(g), tokenRevokeCmd(g))
	return c
}

func tokenCreateCmd(g *globals) *cobra.Command {
	var role, name string
	c := &cobra.Command{
		Use:   "create --role admin|analyst|viewer|ingest [--name NAME]",
		Short: "Create a token and print its secret (shown only this once)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			if role == "" {
				return fmt.Errorf("--role is required: one of %s", strings.Join(app.TokenRoles(), ", "))
			}
			t, secret, err := app.TokenCreate(cmd.Context(), g.env(), role, name)
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Created token %s (%s, role %s). Store it now; it is not shown again:\n%s\n", t.Name, t.ID, t.Role, secret)
			return nil
		},
	}
	c.Flags().StringVar(&role, "role", "", "role: "+strings.Join(app.TokenRoles(), ", "))
	c.Flags().StringVar(&name, "name", "", "name recorded in the query log (default ROLE-ID)")
	return c
}

func tokenListCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "list",
		Short: "List tokens (never their secrets)",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, args []string) error {
			ts, err := app.TokenList(cmd.Context(), g.env())
			if err != nil {
				return err
			}
			tw := tabwriter.NewWriter(cmd.OutOrStdout(), 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tNAME\tROLE\tCREATED\tREVOKED")
			for _, t := range ts {
				rev := "-"
				if t.RevokedAt != nil {
					rev = t.RevokedAt.Format(time.RFC3339)
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", t.ID, t.Name, t.Role, t.CreatedAt.Format(time.RFC3339), rev)
			}
			return tw.Flush()
		},
	}
}

func tokenRevokeCmd(g *globals) *cobra.Command {
	return &cobra.Command{
		Use:   "revoke ID|NAME",
		Short: "Revoke a token; requests and UI sessions using it are refused from then on",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			t, err := app.TokenRevoke(cmd.Context(), g.env(), args[0])
			if err != nil {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "Revoked token %s (%s, role %s)\n", t.Name, t.ID, t.Role)
			return nil
		},
	}
}
